package dev.memdec.natives.faiss;

/**
 * Result of a k-nearest-neighbour search: row {@code q} holds query q's neighbours, nearest first, at
 * {@code [q*k, (q+1)*k)} of both arrays. Distances are squared L2; missing neighbours have id -1.
 */
public record Neighbours(int queries, int k, float[] distances, long[] ids) {

    public long id(int query, int rank) {
        return ids[query * k + rank];
    }

    public float distance(int query, int rank) {
        return distances[query * k + rank];
    }
}
