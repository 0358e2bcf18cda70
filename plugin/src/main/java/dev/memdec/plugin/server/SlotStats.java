package dev.memdec.plugin.server;

/** A snapshot of the scheduler, as /health reports it. */
public record SlotStats(int slots, int idle, int processing, int queued, long completed, long failed) {}
