"""Experiment kd3 of benchmarks/results/generalize_experiments.md (not part of the product): give an
imported model (batch norm folded to identity + bias) real batch-norm statistics measured on training
images, without changing its inference output, so that batch norm can be fine-tuned.

    python benchmarks/experiments/unfold_batch_norm.py runs/dlv3-person runs/ccp-relabelled \
        runs/dlv3-person-unfolded 96
    edge-deeplab train --data runs/ccp-relabelled --output runs/person-kd3 --init-from runs/dlv3-person-unfolded \
        --output-stride 16 --decoder --decoder-channels 128 --distill-from runs/dlv3-person --fine-tune-batch-norm \
        --augment-preset world --learning-rate 0.01 --epochs 6

Each batch norm y = x + bias becomes gamma (x - mean) / sqrt(var + eps) + beta with mean and var of x
measured, gamma = sqrt(var + eps) and beta = bias + mean: the same function in inference mode.
"""

import sys
import numpy as np
import edge_deeplab  # noqa
import tf_keras
from edge_deeplab.model.saving import load_model, save_model, read_model_json
from edge_deeplab.data.mix import open_mix
from edge_deeplab.data.representative import representative_images

src, data, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
model, contract = load_model(src)
config = read_model_json(src)[0]
images, _ = representative_images(open_mix(data, "train"), contract, n)
bns = [
    layer
    for layer in model.layers
    if isinstance(layer, tf_keras.layers.BatchNormalization)
    and np.allclose(layer.get_weights()[2], 0)
    and np.allclose(layer.get_weights()[0], 1)
]
probe = tf_keras.Model(model.input, [layer.input for layer in bns])
sums, sq, count = [0.0] * len(bns), [0.0] * len(bns), 0
for i in range(0, len(images), 4):
    outs = probe(images[i : i + 4], training=False)
    for k, o in enumerate(outs):
        o = o.numpy().astype(np.float64)
        sums[k] = sums[k] + o.sum(axis=(0, 1, 2))
        sq[k] = sq[k] + (o**2).sum(axis=(0, 1, 2))
    count += outs[0].shape[0]
before = model.predict(images[:4], verbose=0)
for k, layer in enumerate(bns):
    h, w = probe.outputs[k].shape[1:3]
    pixels = count * h * w
    mean = sums[k] / pixels
    var = np.maximum(sq[k] / pixels - mean**2, 1e-6)
    gamma, beta, mm, mv = layer.get_weights()
    new_gamma = np.sqrt(var + layer.epsilon)
    layer.set_weights(
        [
            new_gamma.astype(np.float32),
            (beta + mean).astype(np.float32),
            mean.astype(np.float32),
            var.astype(np.float32),
        ]
    )
after = model.predict(images[:4], verbose=0)
print(len(bns), "batch norms unfolded; max |logit change|", float(np.abs(after - before).max()))
save_model(model, config, contract, out)
