"""Prints the bytes TensorBoard's own protobuf classes and CRC code give for the
events and checksums tests/monitor/test_tensorboard.cpp compares forge's hand
encoding against. Run with the venv scripts/setup_python_tensorboard.sh makes:
    ~/.cache/forge/venv-tensorboard/bin/python scripts/make_tensorboard_golden.py
Output of tensorboard 2.21.0 (pasted into the test):
    scalar 0900001040fc54d941100a2a130a110a0a747261696e2f6c6f73731500002040
    version 0900001040fc54d9411a0d627261696e2e4576656e743a32
    start 0900001040fc54d94110ac023a020801
    crc32c 0xe3069283 masked 0xc78ab0e5
"""
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c, masked_crc32c

T = 1700000000.25
scalar = event_pb2.Event(
    wall_time=T, step=10,
    summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="train/loss", simple_value=2.5)]))
print("scalar", scalar.SerializeToString().hex())
print("version", event_pb2.Event(wall_time=T, file_version="brain.Event:2").SerializeToString().hex())
start = event_pb2.Event(wall_time=T, step=300, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))
print("start", start.SerializeToString().hex())
print("crc32c", hex(crc32c(b"123456789")), "masked", hex(masked_crc32c(b"123456789")))
