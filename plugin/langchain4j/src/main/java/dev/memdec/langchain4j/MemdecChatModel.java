package dev.memdec.langchain4j;

import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;

/** LangChain4j's blocking {@link ChatModel} over a memdec host and memory; made by {@link MemdecModels}. */
public final class MemdecChatModel implements ChatModel {

    private final Turns turns;

    MemdecChatModel(Turns turns) {
        this.turns = turns;
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        Turns.Running running = turns.start(request);
        try {
            return running.finish(piece -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LangChain4jException("interrupted while waiting for the answer", e);
        }
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return turns.defaults();
    }
}
