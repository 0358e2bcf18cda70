package dev.memdec.plugin;

/**
 * One generated token and the text it makes visible. The text can be empty (the token is part of a multi-byte
 * character, or might start a stop string) and can carry held-back text of earlier tokens.
 *
 * @param id   the token id
 * @param text text to append to the output now
 */
public record GeneratedToken(int id, String text) {
}
