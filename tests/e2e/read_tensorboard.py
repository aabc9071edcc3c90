"""Reads a forge run directory's TensorBoard event files with TensorBoard's own
code, as an independent check of forge's writer (tests/e2e/test_monitoring.cpp).

First every events.out.tfevents.* file is read record by record with
TensorBoard's TFRecord reader, which verifies both masked CRC-32Cs of every
record (any error exits 2). Then TensorBoard's EventAccumulator loads the
directory (handling file_version and SessionLog START purges as TensorBoard
does) and the scalars are printed as one JSON object:
    {"records": N, "file_version": "brain.Event:2", "scalars": {tag: [[step, value], ...]}}
Usage: python read_tensorboard.py RUN_DIR
"""
import glob
import json
import os
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub import errors
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New


def main():
    run_dir = sys.argv[1]
    files = sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*")))
    if not files:
        print("no event files in " + run_dir, file=sys.stderr)
        return 2
    records = 0
    file_version = None
    for path in files:
        reader = PyRecordReader_New(path)
        while True:
            try:
                reader.GetNext()
            except errors.OutOfRangeError:
                break
            except Exception as e:  # DataLossError: bad CRC or truncated record
                print("%s: record %d: %s" % (path, records, e), file=sys.stderr)
                return 2
            event = event_pb2.Event.FromString(reader.record())
            if event.HasField("file_version"):
                file_version = event.file_version
            records += 1
    acc = event_accumulator.EventAccumulator(run_dir, size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    scalars = {tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
    print(json.dumps({"records": records, "file_version": file_version, "scalars": scalars}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
