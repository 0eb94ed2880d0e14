#!/usr/bin/env python3
"""Floating-point operations of one forward pass of an ONNX network, counted from its graph.

    PYTHON_WITH_ONNX bench/onnx_flops.py MODEL.onnx N,C,H,W [MODEL.onnx N,C,H,W ...]

Prints one line per model: "<file> <GFLOP>". Needs the `onnx` Python package (the venv that `make int8-pack`
makes has it: ~/.cache/facesearch/quantize/venv/bin/python). bench/run.sh carries the numbers this printed for the
default pack, so it does not need onnx itself.

Counted: Conv and ConvTranspose (2 * output elements * input channels per group * kernel area, plus the bias
add), Gemm and MatMul (2 * M * N * K), and one operation per output element for the element-wise and
normalisation nodes (Add, Mul, PRelu, Relu, BatchNormalization, Sigmoid, Softmax...). The multiply-adds of the
convolutions and matrix products are >= 98% of the total for the three networks of the default pack, and they are
what the CPU's FMA units do, so this is the number to set against the FMA peak.
"""
import sys

import numpy as np
import onnx
from onnx import shape_inference

ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "PRelu", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip",
               "BatchNormalization", "Softmax", "Exp", "Sqrt", "Max", "Min", "HardSigmoid", "HardSwish"}


def shapes_of(model):
    shapes = {}
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        if dims and all(d > 0 for d in dims):
            shapes[vi.name] = dims
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    return shapes


def count(path, input_shape):
    model = onnx.load(path)
    initializers = {i.name for i in model.graph.initializer}
    graph_input = next(i for i in model.graph.input if i.name not in initializers)
    dims = graph_input.type.tensor_type.shape.dim
    for d, v in zip(dims, input_shape):
        d.ClearField("dim_param")
        d.dim_value = v
    model = shape_inference.infer_shapes(model)
    shapes = shapes_of(model)
    flops = 0
    for node in model.graph.node:
        out = shapes.get(node.output[0]) if node.output else None
        if out is None:
            continue
        out_elems = int(np.prod(out))
        if node.op_type in ("Conv", "ConvTranspose"):
            w = shapes[node.input[1]]
            group = next((a.i for a in node.attribute if a.name == "group"), 1)
            per_out = int(np.prod(w[1:])) if node.op_type == "Conv" else w[0] // group * int(np.prod(w[2:]))
            flops += 2 * out_elems * per_out + (out_elems if len(node.input) > 2 else 0)
        elif node.op_type in ("Gemm", "MatMul"):
            a = shapes[node.input[0]]
            k = a[-1]
            trans_a = next((x.i for x in node.attribute if x.name == "transA"), 0)
            if node.op_type == "Gemm" and trans_a:
                k = a[0]
            flops += 2 * out_elems * k
        elif node.op_type in ELEMENTWISE:
            flops += out_elems
    return flops


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit(__doc__)
    for path, shape in zip(args[::2], args[1::2]):
        print(f"{path} {count(path, [int(x) for x in shape.split(',')]) / 1e9:.4f}")


if __name__ == "__main__":
    main()
