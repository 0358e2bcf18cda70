package dev.memdec.plugin.retrieval;

/** Name (relative to its directory), length and SHA-256 (lower-case hex) of one data file. */
public record FileChecksum(String file, long bytes, String sha256) {
}
