package org.edgedeeplab.portrait.core;

/**
 * Main-subject mode: keeps the largest person region of the alpha and clears the others (a passer-by
 * behind the subject). The Java twin of edge_deeplab/segment/masks.py main_subject; the parity test
 * runs both on the same frames.
 *
 * <p>Regions are 4-connected pixels with alpha >= threshold, found in two raster passes with
 * union-find; the largest wins and a tie goes to the region met first in row-major order. Cleared
 * regions become 0; pixels under the threshold (soft edges) are left as they are. The work arrays are
 * kept between frames: no allocation once the size is known.
 */
public final class MainSubject {
    private int[] labels = new int[0];
    private int[] parent = new int[1];
    private int[] size = new int[1];
    private int[] first = new int[1];

    /** Clears every region of {@code alpha} (w x h, row-major, in place) but the largest. */
    public void apply(float[] alpha, int w, int h, float threshold) {
        int n = w * h;
        if (labels.length < n) {
            labels = new int[n];
            // At most one label per two pixels in a 4-connected checkerboard, plus label 0 unused.
            parent = new int[n / 2 + 2];
            size = new int[n / 2 + 2];
            first = new int[n / 2 + 2];
        }
        int next = 1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                if (!(alpha[i] >= threshold)) {
                    labels[i] = 0;
                    continue;
                }
                int left = x > 0 ? labels[i - 1] : 0;
                int up = y > 0 ? labels[i - w] : 0;
                if (left == 0 && up == 0) {
                    parent[next] = next;
                    labels[i] = next++;
                } else if (left != 0 && up != 0) {
                    int a = find(left);
                    int b = find(up);
                    labels[i] = Math.min(a, b);
                    parent[Math.max(a, b)] = Math.min(a, b);
                } else {
                    labels[i] = left != 0 ? left : up;
                }
            }
        }
        if (next <= 2) {
            return; // no region, or one: nothing to clear
        }
        for (int r = 1; r < next; r++) {
            size[r] = 0;
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] != 0) {
                int root = find(labels[i]);
                labels[i] = root;
                if (size[root]++ == 0) {
                    first[root] = i;
                }
            }
        }
        int best = 0;
        for (int r = 1; r < next; r++) {
            if (size[r] > 0 && (best == 0 || size[r] > size[best]
                    || (size[r] == size[best] && first[r] < first[best]))) {
                best = r;
            }
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] != 0 && labels[i] != best) {
                alpha[i] = 0f;
            }
        }
    }

    private int find(int label) {
        int root = label;
        while (parent[root] != root) {
            root = parent[root];
        }
        while (parent[label] != root) { // path compression keeps later finds short
            int up = parent[label];
            parent[label] = root;
            label = up;
        }
        return root;
    }
}
