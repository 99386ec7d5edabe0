"""The leftover-process check sees exactly what a test started, even what escaped into a new session."""
import subprocess

from processes import Descendants


def test_an_orphan_in_a_new_session_is_found_and_what_others_started_is_not():
    elsewhere = subprocess.Popen(["sleep", "600"])          # started before the block: not ours to report
    try:
        with Descendants() as started:
            # the shell exits at once; its background child moves to a session of its own and lives on
            subprocess.run(["sh", "-c", "setsid sleep 601 >/dev/null 2>&1 &"], check=True)
            subprocess.run(["sh", "-c", "sleep 0.1 & wait"], check=True)  # a child that ends: not left behind
            left = started.left_behind(patience=1)
            started.stop_leftovers()
        assert len(left) == 1 and "sleep 601" in left[0], left
        assert started.left_behind(patience=1) == []
    finally:
        elsewhere.kill()
        elsewhere.wait()


def test_a_killed_process_is_waited_for_not_reported():
    with Descendants() as started:
        subprocess.run(["sh", "-c", "sleep 602 & kill -9 $!; exit 0"], check=True)
        subprocess.run(["sh", "-c", "(sleep 0.5; exit 0) &"], check=True)   # still finishing: waited for
        assert started.left_behind() == []
