"""The TensorFlow ops DeepLab's training augmentation (data.pipeline.augment) is built of, and those
beyond its recipe: edge crops, Simple Copy-Paste over a batch, other backgrounds, photometric jitter,
blur, noise and JPEG. All draw from stateless seeds: the same seed gives the same result.
"""

from __future__ import annotations

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

from edge_deeplab.contract import IGNORE_LABEL
from edge_deeplab.data.augmentation import Augmentation


def paste_objects(images, masks, seeds, augmentation: Augmentation):
    """Simple Copy-Paste over a batch: onto sample i, 0..copy_paste objects cut out of samples i+1, i+2, ...
    (cyclically) by their masks. images float32 [B, h, w, 3] in 0..255, masks uint8 [B, h, w], seeds
    int64 [B, 2] (one stateless seed per sample). Returns (images, masks)."""
    a = augmentation
    crop = (images.shape[1], images.shape[2])
    size = tf.shape(images)[0]
    masks_f = tf.cast(masks, tf.float32)[..., None]

    def one(i):
        seed = seeds[i]
        draws = tf.random.experimental.stateless_split(seed, num=a.copy_paste + 1)
        count = tf.random.stateless_uniform([], draws[0], 0, a.copy_paste + 1, dtype=tf.int32)
        image, mask = images[i], masks_f[i]
        for k in range(a.copy_paste):
            donor = (i + 1 + k) % size
            image, mask = tf.cond(
                k < count,
                lambda: paste_one(image, mask, images[donor], masks_f[donor][..., 0], draws[k + 1], crop, a),
                lambda: (image, mask),
            )
        return image, tf.cast(mask[..., 0], tf.uint8)

    pasted_images, pasted_masks = tf.map_fn(one, tf.range(size), fn_output_signature=(tf.float32, tf.uint8))
    pasted_images.set_shape(images.shape)
    pasted_masks.set_shape(masks.shape)
    return pasted_images, pasted_masks


def objects(mask):
    """1.0 where a mask ([..]) holds an object: any class but background (0) and ignore (255)."""
    return tf.cast((mask > 0.5) & (mask < IGNORE_LABEL - 0.5), tf.float32)


def edge_crop_window(mask, crop, default, seed, side_seed, probability):
    """(y, x) of a crop window whose border passes through a random object pixel (with `probability`
    and where the mask has objects), else `default`."""
    crop_h, crop_w = crop
    height, width = tf.shape(mask)[0], tf.shape(mask)[1]
    points = tf.cast(tf.where(objects(mask) > 0), tf.int32)
    draws = tf.random.stateless_uniform([3], seed)
    use = (draws[0] < probability) & (tf.shape(points)[0] > 0)

    def through_object():
        point = points[
            tf.minimum(tf.cast(draws[1] * tf.cast(tf.shape(points)[0], tf.float32), tf.int32), tf.shape(points)[0] - 1)
        ]
        py, px = point[0], point[1]
        side = tf.random.stateless_uniform([], side_seed, 0, 4, dtype=tf.int32)  # left, right, top, bottom
        # The window's other coordinate: anywhere that keeps the pixel inside the window.
        y_low, y_high = tf.maximum(py - crop_h + 1, 0), tf.minimum(py, height - crop_h)
        x_low, x_high = tf.maximum(px - crop_w + 1, 0), tf.minimum(px, width - crop_w)
        free_y = y_low + tf.cast(draws[2] * tf.cast(y_high - y_low + 1, tf.float32), tf.int32)
        free_x = x_low + tf.cast(draws[2] * tf.cast(x_high - x_low + 1, tf.float32), tf.int32)
        edge_x = tf.where(side == 0, px, px - crop_w + 1)
        edge_y = tf.where(side == 2, py, py - crop_h + 1)
        y = tf.where(side < 2, free_y, edge_y)
        x = tf.where(side < 2, edge_x, free_x)
        return tf.clip_by_value(y, 0, height - crop_h), tf.clip_by_value(x, 0, width - crop_w)

    return tf.cond(use, through_object, lambda: default)


def other_background(image, mask, real, seed, probability):
    """With `probability`, a plain colour, pixel noise or blurred (low-resolution) noise, all background."""
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    shape = tf.shape(image)

    def synthetic():
        kind = tf.random.stateless_uniform([], seeds[1], 0, 3, dtype=tf.int32)
        colour = tf.random.stateless_uniform([1, 1, 3], seeds[2], 0, 255) + tf.zeros_like(image)
        coarse = tf.random.stateless_uniform([4 + kind * 4, 4 + kind * 4, 3], seeds[3], 0, 255)
        smooth = tf.image.resize(coarse, shape[:2], method="bicubic")
        noise = tf.random.stateless_uniform(tf.shape(image), seeds[3], 0, 255)
        picked = tf.switch_case(kind, [lambda: colour, lambda: noise, lambda: smooth])
        return tf.clip_by_value(picked, 0, 255), tf.zeros_like(mask), tf.ones_like(real)

    use = tf.random.stateless_uniform([], seeds[0]) < probability
    return tf.cond(use, synthetic, lambda: (image, mask, real))


def paste_one(image, mask, donor_image, donor_mask, seed, crop, a: Augmentation):
    """One donor's objects, cut out by its mask (bounding box), scaled, flipped and placed on the crop."""
    crop_h, crop_w = crop
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    donor_mask = tf.cast(donor_mask, tf.float32)
    found = objects(donor_mask)
    rows = tf.where(tf.reduce_any(found > 0, axis=1))[:, 0]
    cols = tf.where(tf.reduce_any(found > 0, axis=0))[:, 0]

    def pasted():
        y0, y1 = tf.cast(rows[0], tf.int32), tf.cast(rows[-1], tf.int32) + 1
        x0, x1 = tf.cast(cols[0], tf.int32), tf.cast(cols[-1], tf.int32) + 1
        cut = tf.concat([tf.cast(donor_image[y0:y1, x0:x1], tf.float32), donor_mask[y0:y1, x0:x1, None]], -1)
        box = tf.cast(tf.stack([y1 - y0, x1 - x0]), tf.float32)
        target = tf.random.stateless_uniform([], seeds[0], a.copy_paste_min_scale, a.copy_paste_max_scale) * crop_h
        size = tf.maximum(tf.cast(tf.round(box * target / box[0]), tf.int32), 1)
        size = tf.minimum(size, [4 * crop_h, 2 * crop_w])
        cut = tf.concat(
            [
                tf.image.resize(cut[..., :3], size, method="bilinear"),
                tf.image.resize(cut[..., 3:], size, method="nearest"),
            ],
            -1,
        )
        cut = tf.cond(tf.random.stateless_uniform([], seeds[1]) < 0.5, lambda: tf.reverse(cut, [1]), lambda: cut)
        # Its centre anywhere in the crop: objects near a border come out cut by the frame.
        centre = tf.cast(
            tf.random.stateless_uniform([2], seeds[2]) * tf.constant([crop_h, crop_w], tf.float32), tf.int32
        )
        top_left = centre - size // 2
        layer = tf.concat([cut, objects(cut[..., 3:])], -1)
        layer = tf.pad(layer, [[crop_h, crop_h], [crop_w, crop_w], [0, 0]])
        layer = tf.slice(layer, [crop_h - top_left[0], crop_w - top_left[1], 0], [crop_h, crop_w, 5])
        solid = layer[..., 4:]
        alpha = solid * gaussian_blur(solid, a.copy_paste_edge_blur) if a.copy_paste_edge_blur else solid
        return alpha * layer[..., :3] + (1 - alpha) * image, solid * layer[..., 3:4] + (1 - solid) * mask

    return tf.cond(tf.size(rows) > 0, pasted, lambda: (image, mask))


def gaussian_blur(image, sigma):
    """Separable Gaussian blur of an [H, W, C] float image (sigma in pixels, a float or scalar tensor)."""
    radius = 6
    offsets = tf.range(-radius, radius + 1, dtype=tf.float32)
    kernel = tf.exp(-0.5 * tf.square(offsets / tf.maximum(tf.cast(sigma, tf.float32), 1e-3)))
    kernel = kernel / tf.reduce_sum(kernel)
    batch = tf.transpose(image, [2, 0, 1])[..., None]  # channels as a batch of 1-channel images
    padded = tf.pad(batch, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="SYMMETRIC")
    out = tf.nn.conv2d(padded, tf.reshape(kernel, [-1, 1, 1, 1]), 1, "VALID")
    out = tf.nn.conv2d(out, tf.reshape(kernel, [1, -1, 1, 1]), 1, "VALID")
    out = tf.transpose(out[..., 0], [1, 2, 0])
    out.set_shape(image.shape)
    return out


def degrade(rgb, seeds, a: Augmentation):
    """Blur, sensor noise and JPEG artefacts, each drawn from its own seed; rgb in 0..1."""
    if a.blur:
        draws = tf.random.stateless_uniform([2], seeds[0])
        rgb = tf.cond(draws[0] < a.blur, lambda: gaussian_blur(rgb, 0.5 + 1.5 * draws[1]), lambda: rgb)
    if a.noise:
        std = tf.random.stateless_uniform([], seeds[1], 0, a.noise)
        rgb = tf.clip_by_value(rgb + std * tf.random.stateless_normal(tf.shape(rgb), seeds[2]), 0.0, 1.0)
    if a.jpeg:
        use = tf.random.stateless_uniform([], seeds[3]) < a.jpeg
        shape = rgb.shape
        rgb = tf.cond(
            use,
            lambda: tf.image.stateless_random_jpeg_quality(rgb, a.jpeg_min_quality, 95, tf.cast(seeds[4], tf.int32)),
            lambda: rgb,
        )
        rgb.set_shape(shape)
    return rgb


def jitter(rgb, seeds, augmentation: Augmentation):
    """Random brightness, contrast, saturation and hue, each drawn from its own seed; rgb in 0..1, clipped.

    Args:
        rgb: an H x W x 3 float image in 0..1.
        seeds: stateless seeds, one per knob (brightness, contrast, saturation, hue).
        augmentation: the Augmentation whose strengths apply (0 turns a knob off).

    Returns:
        The jittered image, in 0..1.
    """
    a = augmentation
    if a.brightness:
        rgb = tf.image.stateless_random_brightness(rgb, a.brightness, seeds[0])
    if a.contrast:
        rgb = tf.image.stateless_random_contrast(rgb, 1 - a.contrast, 1 + a.contrast, seeds[1])
    if a.saturation or a.hue:
        rgb = tf.clip_by_value(rgb, 0.0, 1.0)  # the HSV conversion expects pixels in 0..1
        if a.saturation:
            rgb = tf.image.stateless_random_saturation(rgb, 1 - a.saturation, 1 + a.saturation, seeds[2])
        if a.hue:
            rgb = tf.image.stateless_random_hue(rgb, a.hue, seeds[3])
    return tf.clip_by_value(rgb, 0.0, 1.0)
