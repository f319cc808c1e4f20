"""Refine class probabilities on the host with a fully connected CRF (DeepLab v1 / v2).

Chen et al., "Semantic Image Segmentation with Deep Convolutional Nets and Fully Connected CRFs"
(DeepLab v1, 2015) and "DeepLab: Semantic Image Segmentation with ..." (v2, 2017, section 3.3),
after Kraehenbuehl and Koltun, "Efficient Inference in Fully Connected CRFs with Gaussian Edge
Potentials" (2011). The network's probabilities are the unary term, -log P(x_i); every pair of
pixels is joined by two Gaussian kernels with a Potts compatibility:

    w1 exp(-|p_i - p_j|^2 / 2 sigma_alpha^2 - |I_i - I_j|^2 / 2 sigma_beta^2)   appearance (bilateral)
  + w2 exp(-|p_i - p_j|^2 / 2 sigma_gamma^2)                                   smoothness (Gaussian)

Mean-field inference on that energy pulls labels towards pixels of like colour nearby, so a
blurred network edge snaps to the photo's edge. The parameters keep pydensecrf's names for these:
bilateral_sxy = sigma_alpha, bilateral_srgb = sigma_beta, bilateral_compat = w1; gaussian_sxy =
sigma_gamma, gaussian_compat = w2; positions in pixels of the photo, colours in 0-255 steps.

It costs about half a second per 600x800 photo on a desktop CPU: for still photos, evaluation and
training targets, not for the live camera.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.settings import Settings

REFINEMENTS = ("none", "crf")
#: Below this a probability is treated as this: -log(0) would make a label impossible to reach.
MIN_PROBABILITY = 1e-5


@dataclasses.dataclass(frozen=True)
class CRFConfig(Settings):
    """The dense CRF's knobs (DeepLab v2's w1, sigma_alpha, sigma_beta; w2, sigma_gamma).

    The defaults were chosen for preset:person on portraits and everyday photos by a small search on
    eg1800 val and ccp-person val (benchmarks/crf.py search, results/crf.md): sigma_beta 5/10/20,
    sigma_alpha 20/30/50/80 and w1 3/5/8/12 moved the score (person IoU + boundary F) by at most about a
    point around these values, and none beat them. Iterations were not searched.

    iterations: mean-field iterations (DeepLab uses 10; 5 costs half the time).
    gaussian_sxy: sigma_gamma, the smoothness kernel's reach in pixels (3 in DeepLab).
    gaussian_compat: w2, the smoothness kernel's weight (3 in DeepLab): removes small islands.
    bilateral_sxy: sigma_alpha, the appearance kernel's reach in pixels.
    bilateral_srgb: sigma_beta, how alike in colour (0-255 steps) two pixels must be to agree.
    bilateral_compat: w1, the appearance kernel's weight.
    """

    _OPTION, _SOURCE = "CRF parameter", "CRF config"

    iterations: int = 5
    gaussian_sxy: float = 3.0
    gaussian_compat: float = 3.0
    bilateral_sxy: float = 50.0
    bilateral_srgb: float = 10.0
    bilateral_compat: float = 5.0

    def __post_init__(self):
        # Numbers as their fields say (a JSON 50 and a Python 50.0 are the same setting).
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name, (int if field.type == "int" else float)(getattr(self, field.name)))
        if self.iterations < 1:
            raise EdgeDeeplabError(f"CRF iterations {self.iterations} must be at least 1")
        for name in ("gaussian_sxy", "bilateral_sxy", "bilateral_srgb"):
            if getattr(self, name) <= 0:
                raise EdgeDeeplabError(f"CRF {name} {getattr(self, name)} must be positive (a kernel's width)")
        for name in ("gaussian_compat", "bilateral_compat"):
            if getattr(self, name) < 0:
                raise EdgeDeeplabError(f"CRF {name} {getattr(self, name)} must be 0 or more (a kernel's weight)")


def require(method: str) -> None:
    """Checks that `method` is known and can run here, before any work starts."""
    if method not in REFINEMENTS:
        raise EdgeDeeplabError(f"refinement {method!r} is unknown: choose {' or '.join(REFINEMENTS)}")
    if method == "crf":
        _densecrf()


def _densecrf():
    try:
        import pydensecrf.densecrf as densecrf
    except ImportError:
        raise EdgeDeeplabError("dense CRF refinement needs pydensecrf2: pip install 'edge-deeplab[crf]'") from None
    return densecrf


def dense_crf(rgb: np.ndarray, probabilities: np.ndarray, config: CRFConfig = CRFConfig()) -> np.ndarray:
    """RGB uint8 [H, W, 3] and class probabilities [H, W, C] -> refined probabilities [H, W, C].

    Example:
        probabilities = predict_probabilities(runner, rgb)
        person = dense_crf(rgb, probabilities)[..., 1] > 0.5
    """
    rgb, probabilities = np.asarray(rgb), np.asarray(probabilities)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or probabilities.ndim != 3 or rgb.shape[:2] != probabilities.shape[:2]:
        raise EdgeDeeplabError(
            f"dense CRF: photo {list(rgb.shape)} and probabilities {list(probabilities.shape)} "
            f"must be [H, W, 3] and [H, W, C] of the same photo"
        )
    densecrf = _densecrf()
    height, width, classes = probabilities.shape
    crf = densecrf.DenseCRF2D(width, height, classes)
    # Unary energy -log P, classes first, one row per class, as the C++ code reads it.
    unary = -np.log(np.clip(probabilities, MIN_PROBABILITY, 1.0)).astype(np.float32)
    crf.setUnaryEnergy(np.ascontiguousarray(unary.transpose(2, 0, 1).reshape(classes, -1)))
    # The Cython binding takes only writable buffers (a decoded photo may be read-only).
    crf.addPairwiseGaussian(sxy=config.gaussian_sxy, compat=config.gaussian_compat)
    crf.addPairwiseBilateral(
        sxy=config.bilateral_sxy,
        srgb=config.bilateral_srgb,
        rgbim=np.require(rgb, np.uint8, ["C", "W"]),
        compat=config.bilateral_compat,
    )
    refined = np.asarray(crf.inference(config.iterations), dtype=np.float32)
    return refined.reshape(classes, height, width).transpose(1, 2, 0)


def refine(rgb: np.ndarray, probabilities: np.ndarray, method: str = "none", crf: CRFConfig = CRFConfig()):
    """`probabilities` refined by `method` ('none' returns them as they are, 'crf' runs dense_crf)."""
    require(method)
    return dense_crf(rgb, probabilities, crf) if method == "crf" else probabilities
