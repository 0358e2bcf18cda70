package dev.memdec.trainer.spark;

import java.io.Serializable;

/**
 * Called on the executor after each unit of a task (a window of a corpus shard, a chunk of queries) is done; the
 * stages pass {@link #NONE}. Tests use it to fail a task mid-partition.
 */
@FunctionalInterface
interface TaskHook extends Serializable {

    TaskHook NONE = (partition, attempt, units) -> { };

    /**
     * @param partition the task's partition (corpus shard or query range index)
     * @param attempt   Spark's attempt number of this task, 0 for the first
     * @param units     units completed so far by this attempt
     */
    void afterUnit(int partition, int attempt, long units);
}
