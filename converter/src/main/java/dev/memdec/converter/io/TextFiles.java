package dev.memdec.converter.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the UTF-8 text files memdec takes from outside (JSON configs, manifests, merges.txt). The JDK's
 * {@code Files.readString} reports invalid UTF-8 as "Input length = 1", naming neither the file nor the place;
 * this names both, so a corrupt download ends in one clear line.
 */
public final class TextFiles {

    private TextFiles() {
    }

    /** The whole file as text; an {@link IOException} naming the file and byte offset if it is not UTF-8. */
    public static String readUtf8(Path file) throws IOException {
        return decodeUtf8(file.toString(), Files.readAllBytes(file));
    }

    /** {@code bytes} as text; refuses invalid UTF-8 naming {@code source} (a file, a request body) and the byte offset. */
    public static String decodeUtf8(String source, byte[] bytes) throws CharacterCodingException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            throw new InvalidUtf8Exception(source + ": not valid UTF-8 at byte offset " + in.position());
        }
        return out.flip().toString();
    }

    /** Invalid UTF-8; the message names the source and the offset. */
    public static final class InvalidUtf8Exception extends CharacterCodingException {
        private final String message;

        InvalidUtf8Exception(String message) {
            this.message = message;
        }

        @Override
        public String getMessage() {
            return message;
        }
    }
}
