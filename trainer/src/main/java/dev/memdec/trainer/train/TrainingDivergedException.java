package dev.memdec.trainer.train;

/** Training produced a non-finite loss or gradient; the message says where and which checkpoint is good. */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}
