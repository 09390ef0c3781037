"""Peak memory of scanning a deflate bomb, against scanning a sample film in the same run.

The bomb is the neutral film of sample subject DLBP-001 at baseline saved in Deflated Explicit VR
Little Endian with 1 GiB of zeros in a private OB element: a file of about 1 MB (pydicom's own
read took 4.4 GB of memory on such a file). Each file is scanned (``scan_file``, the header read
of ``scan``, ``register`` and ``batch``) in a fresh process: the peak of Python's allocations
during the scan (tracemalloc) and the growth of the peak resident memory (ru_maxrss) over the
process after its imports. Targets: the bomb is refused as ``too-large`` and its scan's peak stays
within ``imaging.dicom.limits.MAX_INFLATED_BYTES``.

Run: ``python -m benchmarks.bench_deflate``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.targets import Verdicts

REPOSITORY = Path(__file__).resolve().parents[1]
SAMPLE = REPOSITORY / "sample_dicom" / "DLBP-001" / "baseline" / "DX_lateral_neutral.dcm"
BOMB_ZEROS = 1024**3


def child(path: Path) -> dict[str, Any]:
    """Scan ``path`` once; what it cost (run in a fresh process)."""
    from imaging.dicom.scan import scan_file

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    started = time.perf_counter()
    record = scan_file(path)
    seconds = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"status": str(record.status), "reason": record.reason, "seconds": seconds,
            "traced_peak": traced_peak, "rss_growth": rss_after - rss_before}  # fmt: skip


def measure(path: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_deflate", "--child", str(path)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPOSITORY)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def write_bomb(folder: Path) -> Path:
    import pydicom
    from pydicom.uid import generate_uid

    sys.path.insert(0, str(REPOSITORY / "tests" / "dicom"))
    from dicom_helpers import write_deflate_bomb

    dataset = pydicom.dcmread(SAMPLE)
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    return write_deflate_bomb(dataset, folder / "bomb.dcm", BOMB_ZEROS)


def main(argv: Sequence[str] = ()) -> int:
    """Run the benchmark (``python -m benchmarks deflate`` calls this with no arguments)."""
    if len(argv) == 2 and argv[0] == "--child":
        print(json.dumps(child(Path(argv[1]))))
        return 0
    from imaging.dicom import limits

    verdicts = Verdicts()
    if not SAMPLE.is_file():
        print(f"{SAMPLE} is missing: run scripts/make_samples.py")
        return 1
    with tempfile.TemporaryDirectory() as folder:
        bomb = write_bomb(Path(folder))
        size = bomb.stat().st_size
        normal, refused = measure(SAMPLE), measure(bomb)
    limit = limits.MAX_INFLATED_BYTES
    mib = 1024**2
    print(f"{'scan_file of':<46}{'status':>10}{'seconds':>9}{'traced MiB':>12}{'RSS+ MiB':>10}")
    for name, result in (
        (f"sample film ({SAMPLE.stat().st_size / 1e6:.1f} MB)", normal),
        (f"deflate bomb ({size / 1e6:.1f} MB -> {BOMB_ZEROS / 1024**3:.0f} GiB)", refused),
    ):
        print(
            f"{name:<46}{result['status']:>10}{result['seconds']:>9.2f}"
            f"{result['traced_peak'] / mib:>12.1f}{result['rss_growth'] / mib:>10.1f}"
        )
    peak = max(refused["traced_peak"], refused["rss_growth"])
    ratio = refused["traced_peak"] / normal["traced_peak"]
    print(f"bomb / sample film peak (traced): {ratio:.2f}x")
    ok = refused["status"] == "too-large" and "MAX_INFLATED_BYTES" in refused["reason"]
    print(f"bomb refused as too-large, naming the limit: {verdicts.require('bomb refused', ok)}")
    verdict = verdicts.at_most("bomb scan peak <= MAX_INFLATED_BYTES", peak, limit)
    print(f"bomb scan peak {peak / mib:.1f} MiB: {verdict} target <= {limit / mib:.0f} MiB")
    return verdicts.exit_status()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
