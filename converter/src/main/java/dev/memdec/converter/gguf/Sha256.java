package dev.memdec.converter.gguf;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The digest behind {@link GgufKeys#TENSOR_DATA_SHA256}, shared by writer and reader. */
final class Sha256 {

    private Sha256() {
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
