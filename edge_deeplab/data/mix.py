"""Training on several datasets at once: dataset specs, a mixed dataset, and its sampling schedule.

A dataset spec is one `--data` value: `PATH[:labels=FILE][:weight=W]`, e.g.

    ../shared/data/ccp-person:weight=3
    synthetic:weight=1
    VOCdevkit:labels=voc-person:weight=2

PATH is a dataset folder or "synthetic"; labels= is that dataset's own labels config (a JSON file or
a preset, see edge_deeplab.data.labels), so each set maps its stored values onto the same classes;
weight= is its share of the samples drawn. Either every spec gives a weight or none does: without
weights each dataset is drawn in proportion to its size (plain concatenation).

Sampling is an explicit index schedule: an epoch has as many samples as all datasets together; dataset
i contributes round(N * w_i / sum(w)) of them (largest remainder), taken from permutations of that
dataset drawn from (seed, epoch, i) (repeated when it is oversampled), and the whole epoch is then
shuffled by (seed, epoch). So an epoch's order depends only on (seed, epoch): exact resume keeps working.
One dataset without a weight gives exactly pipeline.epoch_order, as before mixing existed.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional, Sequence, Union

import numpy as np

from edge_deeplab.data.dataset import Dataset
from edge_deeplab.errors import EdgeDeeplabError

_OPTION = re.compile(r":(labels|weight)=([^:]*)$")


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """One dataset of a training mix.

    Args:
        path: its folder, or 'synthetic'.
        labels: its labels config (edge_deeplab.data.labels), or None for the mix's default.
        weight: its sampling weight, or None (every dataset weighted by its size).
    """

    path: str
    labels: Optional[str] = None
    weight: Optional[float] = None

    def __post_init__(self):
        if self.weight is not None and not (self.weight > 0 and np.isfinite(self.weight)):
            raise EdgeDeeplabError(f"--data {self.path}: weight {self.weight} must be a positive number")

    def __str__(self) -> str:
        text = self.path
        if self.labels is not None:
            text += f":labels={self.labels}"
        if self.weight is not None:
            text += f":weight={self.weight:g}"
        return text


def parse_data_spec(value) -> DataSpec:
    """A DataSpec from `value`: 'PATH[:labels=FILE][:weight=W]' (options in any order), a dict of its fields,
    or a DataSpec, which passes through."""
    if isinstance(value, DataSpec):
        return value
    if isinstance(value, dict):
        return DataSpec(**value)
    text, options = str(value), {}
    while True:
        match = _OPTION.search(text)
        if match is None:
            break
        key, option = match.groups()
        if key in options:
            raise EdgeDeeplabError(f"--data {value}: {key}= given twice")
        options[key] = option
        text = text[: match.start()]
    if not text:
        raise EdgeDeeplabError(f"--data {value!r}: no dataset path; write PATH[:labels=FILE][:weight=W]")
    weight = options.get("weight")
    if weight is not None:
        try:
            weight = float(weight)
        except ValueError:
            raise EdgeDeeplabError(f"--data {value}: weight={weight} is not a number") from None
    return DataSpec(text, options.get("labels") or None, weight)


def data_specs(data) -> list[DataSpec]:
    """A list of DataSpecs from one spec (a string, path or DataSpec) or a list of them."""
    items = list(data) if isinstance(data, (list, tuple)) else [data]
    if not items:
        raise EdgeDeeplabError("no training data: pass --data PATH (or 'synthetic')")
    specs = [parse_data_spec(item) for item in items]
    weighted = [spec.weight is not None for spec in specs]
    if any(weighted) and not all(weighted):
        raise EdgeDeeplabError(
            "give every --data a :weight=W or none (then each is drawn in proportion to its "
            "size); missing on " + ", ".join(s.path for s, w in zip(specs, weighted) if not w)
        )
    return specs


class MixedDataset(Dataset):
    """Several datasets with the same classes, read as one.

    Args:
        parts: the datasets.
        weights: one sampling weight per part, or None (shares in proportion to their sizes).
    """

    def __init__(self, parts: Sequence[Dataset], weights: Optional[Sequence[float]] = None):
        parts = list(parts)
        if not parts:
            raise EdgeDeeplabError("a dataset mix needs at least one dataset")
        for part in parts[1:]:
            if part.class_names != parts[0].class_names:
                raise EdgeDeeplabError(
                    f"{part.name} has classes ({', '.join(part.class_names)}) but {parts[0].name} has "
                    f"({', '.join(parts[0].class_names)}): map both onto the same classes with :labels=FILE"
                )
        self.parts = parts
        self.weights = None if weights is None else [float(w) for w in weights]
        if self.weights is not None and len(self.weights) != len(parts):
            raise ValueError("one weight per dataset")
        self.offsets = np.cumsum([0] + [len(p) for p in parts])
        ids = [f"{k}/{i}" for k, part in enumerate(parts) for i in part.ids]
        super().__init__(
            " + ".join(p.name for p in parts), parts[0].class_names, ids, tuple(s for p in parts for s in p.skipped)
        )

    def locate(self, index: int) -> tuple[int, int]:
        """(part, index inside that part) of a sample of the mix."""
        part = int(np.searchsorted(self.offsets, index, side="right") - 1)
        return part, int(index - self.offsets[part])

    def read_image(self, index: int) -> np.ndarray:
        part, local = self.locate(index)
        return self.parts[part].read_image(local)

    def read_mask(self, index: int) -> np.ndarray:
        part, local = self.locate(index)
        return self.parts[part].read_mask(local)

    def shares(self) -> np.ndarray:
        """The share of the sampled training images each part gets: its weight, or its size, over the total.

        Returns:
            One share per part, summing to 1.
        """
        sizes = np.array([len(p) for p in self.parts], np.float64)
        weights = sizes if self.weights is None else np.array(self.weights, np.float64)
        return weights / weights.sum()


def open_mix(
    data, split: str = "train", *, labels_config=None, on_error: str = "raise", verify: bool = True
) -> Dataset:
    """The datasets of `data` (specs, see data_specs) as one Dataset; a single unweighted spec gives that
    dataset itself.

    Args:
        data: one dataset spec or a list of them.
        split: the split to read, e.g. train or val.
        labels_config: the labels config of specs without their own labels=.
        on_error: 'raise' or 'skip' for an unreadable or inconsistent sample.
        verify: read every sample once at load time to check it (else only that the files exist).
    """
    from edge_deeplab.data.readers import open_dataset

    specs = data_specs(data)
    parts = [
        open_dataset(spec.path, split, labels_config=spec.labels or labels_config, on_error=on_error, verify=verify)
        for spec in specs
    ]
    if len(parts) == 1 and specs[0].weight is None:
        return parts[0]
    return MixedDataset(parts, None if specs[0].weight is None else [s.weight for s in specs])


def open_each(data, split: str = "val", *, labels_config=None, on_error: str = "raise") -> list[Dataset]:
    """Each dataset of `data` on its own (per-dataset validation)."""
    from edge_deeplab.data.readers import open_dataset

    return [
        open_dataset(spec.path, split, labels_config=spec.labels or labels_config, on_error=on_error)
        for spec in data_specs(data)
    ]


def _rng(seed: int, epoch: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(epoch), *stream]))


def part_counts(dataset: "MixedDataset", total: int) -> np.ndarray:
    """How many of `total` draws each dataset gets: its share, rounded by largest remainder."""
    exact = dataset.shares() * total
    counts = np.floor(exact).astype(np.int64)
    remainder = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    return counts


def mixed_epoch_order(dataset: "MixedDataset", seed: int, epoch: int) -> np.ndarray:
    """Indices into the mix for one epoch (len(dataset) of them), from (seed, epoch) alone."""
    picks = []
    for k, (part, count) in enumerate(zip(dataset.parts, part_counts(dataset, len(dataset)))):
        rng = _rng(seed, epoch, 3, k)
        repeats = -(-int(count) // len(part))
        local = np.concatenate([rng.permutation(len(part)) for _ in range(repeats)])[:count] if count else []
        picks.append(np.asarray(local, np.int64) + dataset.offsets[k])
    order = np.concatenate(picks)
    return order[_rng(seed, epoch, 4).permutation(len(order))]


def split_indices(dataset: Dataset, indices: Union[np.ndarray, Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Global indices -> (part, local index) arrays (part 0 for a plain dataset)."""
    indices = np.asarray(indices, np.int64)
    if not isinstance(dataset, MixedDataset):
        return np.zeros_like(indices), indices
    parts = np.searchsorted(dataset.offsets, indices, side="right") - 1
    return parts.astype(np.int64), indices - dataset.offsets[parts]
