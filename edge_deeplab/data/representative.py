"""Representative data for full-integer post-training quantization.

N images from any dataset reader, chosen deterministically (a seeded permutation) and, where masks
exist, stratified by the fraction of each class so that calibration sees empty frames, small and
large people alike; preprocessed exactly as at inference (resized to the model input, normalised
by the model's contract). A manifest (which images, why) is saved beside the exported models.
"""

from __future__ import annotations

import numpy as np

from edge_deeplab.errors import EdgeDeeplabError

DEFAULT_NUM_IMAGES = 100


def choose_indices(dataset, num_images: int, seed: int = 0, stratify: bool = True) -> tuple[list[int], str]:
    """Indices of `num_images` samples and how they were chosen."""
    if len(dataset) == 0:
        raise EdgeDeeplabError(f"{dataset.name}: no images to calibrate with")
    count = min(num_images, len(dataset))
    order = np.random.default_rng(seed).permutation(len(dataset))
    if not stratify or count == len(dataset):
        return sorted(int(i) for i in order[:count]), "seeded random sample"
    # Strata by the share of the last class (the person in background/person data) in each mask.
    shares = np.array([_foreground_share(dataset.read_mask(int(i))) for i in order])
    strata = np.digitize(shares, np.quantile(shares, [0.25, 0.5, 0.75]))
    chosen = []
    for stratum in range(4):
        members = [int(i) for i, s in zip(order, strata) if s == stratum]
        chosen += members[: int(round(count * len(members) / len(order)))]
    chosen += [int(i) for i in order if int(i) not in set(chosen)][: count - len(chosen)]
    return sorted(chosen[:count]), "seeded sample stratified by foreground share quartiles"


def _foreground_share(mask) -> float:
    valid = mask != 255
    return float(np.mean(mask[valid] > 0)) if valid.any() else 0.0


def representative_images(dataset, contract, num_images: int = DEFAULT_NUM_IMAGES, seed: int = 0) -> tuple:
    """(float32 [N, h, w, 3] normalised model inputs, manifest dict)."""
    import cv2

    has_masks = getattr(dataset, "mask_paths", None) is not None or hasattr(dataset, "read_mask")
    indices, method = choose_indices(dataset, num_images, seed, stratify=has_masks)
    images = []
    for index in indices:
        rgb = dataset.read_image(index)
        resized = cv2.resize(rgb, (contract.input_width, contract.input_height), interpolation=cv2.INTER_LINEAR)
        images.append(contract.normalize(resized))
    manifest = {
        "dataset": dataset.name,
        "num_images": len(indices),
        "seed": seed,
        "method": method,
        "ids": [dataset.ids[i] for i in indices],
    }
    return np.stack(images).astype(np.float32), manifest
