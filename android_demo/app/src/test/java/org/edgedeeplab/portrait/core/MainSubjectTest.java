package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;

import org.junit.Test;

public class MainSubjectTest {
    @Test
    public void keepsTheLargestRegionAndTheSoftEdges() {
        float[] alpha = {
                0.9f, 0.9f, 0f, 0.8f,
                0.9f, 0.3f, 0f, 0.8f,
                0.9f, 0.9f, 0.4f, 0f};
        new MainSubject().apply(alpha, 4, 3, 0.5f);
        assertArrayEquals(new float[] {
                0.9f, 0.9f, 0f, 0f,
                0.9f, 0.3f, 0f, 0f,
                0.9f, 0.9f, 0.4f, 0f}, alpha, 0f);
    }

    @Test
    public void aUShapeJoinedAtTheBottomIsOneRegion() {
        // The two arms get different labels in the first pass and meet later: union-find joins them.
        float[] alpha = {
                1, 0, 1, 0, 1,
                1, 0, 1, 0, 0,
                1, 1, 1, 0, 0};
        new MainSubject().apply(alpha, 5, 3, 0.5f);
        assertArrayEquals(new float[] {
                1, 0, 1, 0, 0,
                1, 0, 1, 0, 0,
                1, 1, 1, 0, 0}, alpha, 0f);
    }

    @Test
    public void cornersDoNotConnectAndTiesGoToTheFirstRegion() {
        float[] alpha = {
                1, 0, 0,
                0, 1, 0,
                0, 0, 0};
        new MainSubject().apply(alpha, 3, 3, 0.5f);
        assertArrayEquals(new float[] {1, 0, 0, 0, 0, 0, 0, 0, 0}, alpha, 0f);
    }

    @Test
    public void aCheckerboardFitsTheWorkArraysAndReusesThem() {
        MainSubject subject = new MainSubject();
        float[] board = new float[7 * 5];
        for (int i = 0; i < board.length; i++) board[i] = (i % 2 == 0) ? 1f : 0f; // 18 one-pixel regions
        subject.apply(board, 7, 5, 0.5f);
        float[] expected = new float[board.length];
        expected[0] = 1f;
        assertArrayEquals(expected, board, 0f);
        float[] nobody = {0.1f, 0.2f, 0.3f, 0.4f};
        subject.apply(nobody, 2, 2, 0.5f);
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, nobody, 0f);
    }
}
