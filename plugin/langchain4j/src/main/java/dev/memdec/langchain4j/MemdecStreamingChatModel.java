package dev.memdec.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

/**
 * LangChain4j's {@link StreamingChatModel} over a memdec host and memory; made by {@link MemdecModels}. A request
 * that asks for what memdec cannot do (tools, images, ...) is refused at once with an exception naming the
 * feature; after that, text arrives through {@link StreamingChatResponseHandler#onPartialResponse(String)} on a
 * virtual thread of this model, then {@code onCompleteResponse}, or {@code onError} when the generation fails.
 */
public final class MemdecStreamingChatModel implements StreamingChatModel {

    private final Turns turns;

    MemdecStreamingChatModel(Turns turns) {
        this.turns = turns;
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Turns.Running running = turns.start(request);
        Thread.ofVirtual().name("memdec-langchain4j-stream").start(() -> {
            try {
                handler.onCompleteResponse(running.finish(handler::onPartialResponse));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                handler.onError(e);
            } catch (RuntimeException e) {
                handler.onError(e);
            }
        });
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return turns.defaults();
    }
}
