package dev.memdec.plugin.server;

/** Every slot is busy and the waiting queue is full. */
public final class ServerBusyException extends RuntimeException {
    public ServerBusyException(int slots, int queue) {
        super("server busy: all " + slots + " slots are generating and " + queue + " requests are queued; retry later");
    }
}
