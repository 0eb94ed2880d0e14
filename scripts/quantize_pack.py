"""Static int8 quantisation of the default pack's ONNX networks (run by scripts/quantize-pack.sh in its venv).

    quantize_pack.py --src DIR --inputs DIR --out DIR [--networks detector,landmarker,recogniser]
                     [--format qdq|qoperator] [--per-channel on|off] [--activations u8|s8] [--exclude-ends]
                     [--heads fp32|int8] [--samples N]

--inputs holds detector.npy, landmarker.npy and recogniser.npy: the blobs the C++ engine builds from real photos
(`bench_runtimes --dump-inputs`), so calibration sees exactly the engine's pre-processing. A network left out of
--networks is copied unchanged (fp32). Calibration takes --samples inputs evenly spaced over each file
(deterministic), min/max ranges. --heads fp32 (default) keeps the output end of each network (the last Convs and
what follows them) in fp32.
"""
import argparse
import os
import shutil
import tempfile

import numpy as np
import onnx
from onnx import version_converter
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

FILES = {"detector": "fr_detect.onnx", "landmarker": "fr_landmark.onnx", "recogniser": "fr_feature.onnx"}


class Blobs(CalibrationDataReader):
    def __init__(self, input_name, blobs):
        self.feeds = iter([{input_name: blob[np.newaxis]} for blob in blobs])

    def get_next(self):
        return next(self.feeds, None)


def evenly_spaced(array, count):
    if count >= len(array):
        return array
    return array[np.linspace(0, len(array) - 1, count).round().astype(int)]


def heads(model):
    """The output end of the graph: every node from which an output is reached without passing a Conv, and the
    Convs that feed them. Left in fp32, the outputs (detector scores and boxes, the embedding) are not rounded to
    8 bits."""
    producer = {out: node for node in model.graph.node for out in node.output}
    found, todo = set(), [o.name for o in model.graph.output]
    while todo:
        node = producer.get(todo.pop())
        if node is None or node.name in found:
            continue
        found.add(node.name)
        if node.op_type != "Conv":
            todo.extend(node.input)
    return sorted(found)


def quantize(network, src, dst, blobs, args):
    with tempfile.TemporaryDirectory() as tmp:
        # The packs' files are opset 9; per-channel DequantizeLinear (its `axis`) needs opset 13.
        upgraded, prepared = os.path.join(tmp, "opset13.onnx"), os.path.join(tmp, "prepared.onnx")
        onnx.save(version_converter.convert_version(onnx.load(src), 13), upgraded)
        quant_pre_process(upgraded, prepared, skip_symbolic_shape=True)
        model = onnx.load(prepared)
        input_name = model.graph.input[0].name
        nodes = [n.name for n in model.graph.node]
        excluded = [nodes[0], nodes[-1]] if args.exclude_ends else []
        if args.heads == "fp32":
            excluded += heads(model)
        quantize_static(
            prepared, dst, Blobs(input_name, evenly_spaced(blobs, args.samples)),
            quant_format=QuantFormat.QDQ if args.format == "qdq" else QuantFormat.QOperator,
            per_channel=args.per_channel == "on",
            activation_type=QuantType.QUInt8 if args.activations == "u8" else QuantType.QInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=excluded)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", required=True)
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--networks", default="detector,landmarker,recogniser")
    parser.add_argument("--format", choices=["qdq", "qoperator"], default="qdq")
    parser.add_argument("--per-channel", choices=["on", "off"], default="on")
    parser.add_argument("--activations", choices=["s8", "u8"], default="u8")
    parser.add_argument("--exclude-ends", action="store_true")
    parser.add_argument("--heads", choices=["fp32", "int8"], default="fp32")
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    chosen = args.networks.split(",")
    os.makedirs(args.out, exist_ok=True)
    for network, name in FILES.items():
        src, dst = os.path.join(args.src, name), os.path.join(args.out, name)
        if network in chosen:
            quantize(network, src, dst, np.load(os.path.join(args.inputs, network + ".npy")), args)
        else:
            shutil.copyfile(src, dst)


if __name__ == "__main__":
    main()
