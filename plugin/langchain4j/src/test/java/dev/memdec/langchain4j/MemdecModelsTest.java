package dev.memdec.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.memdec.plugin.server.ServerTestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The LangChain4j models over real tiny models (ServerTestModels: a random 2x64 GPT-2 host and two 1x32 memories
 * with the real GPT-2 vocabulary), driven only through LangChain4j's interfaces: messages, ChatRequest parameters,
 * the streaming handler, and an AiServices assistant with a MessageWindowChatMemory. Greedy sampling, so answers
 * are exact and comparable.
 */
class MemdecModelsTest {

    static final int MAX_TOKENS = 12;
    static MemdecModels models;

    @BeforeAll
    static void load() throws Exception {
        models = MemdecModels.builder().host(ServerTestModels.host())
                .memory("law", ServerTestModels.memories().get("law"))
                .memory("med", ServerTestModels.memories().get("med"))
                .lambda(0.9).temperature(0).maxTokens(MAX_TOKENS).seed(7).threads(1).contextSize(256).build();
    }

    @AfterAll
    static void close() {
        if (models != null) {
            models.close();
        }
    }

    static ChatRequest request(ChatMessage... messages) {
        return ChatRequest.builder().messages(messages).build();
    }

    @Test
    void chatAnswersWithTextUsageAndFinishReason() {
        ChatResponse r = models.chatModel().chat(SystemMessage.from("You are terse."), UserMessage.from("Tell me about the law."));
        assertTrue(r.tokenUsage().inputTokenCount() > 5, r.toString());
        int out = r.tokenUsage().outputTokenCount();
        assertTrue(out >= 1 && out <= MAX_TOKENS, r.toString());
        assertEquals(out == MAX_TOKENS ? FinishReason.LENGTH : FinishReason.STOP, r.finishReason(), r.toString());
        ChatResponse shorter = models.chatModel().chat(ChatRequest.builder()
                .messages(UserMessage.from("Tell me about the law."))
                .parameters(ChatRequestParameters.builder().maxOutputTokens(3).build()).build());
        assertEquals(3, shorter.tokenUsage().outputTokenCount(), "maxOutputTokens is honoured");
        assertEquals(FinishReason.LENGTH, shorter.finishReason());
    }

    @Test
    void theMemoryChangesTheAnswerAgainstTheHostAlone() {
        ChatRequest q = request(UserMessage.from("What does the statute say?"));
        String mixed = models.chatModel().chat(q).aiMessage().text();
        String hostAlone = models.chatModel(false).chat(q).aiMessage().text();
        assertNotEquals(hostAlone, mixed, "λ 0.9 of a different random model must change a greedy answer");
        assertEquals(mixed, models.chatModel().chat(q).aiMessage().text(), "greedy answers repeat exactly");
    }

    @Test
    void streamingDeliversTheBlockingAnswerInPieces() throws Exception {
        ChatRequest q = request(UserMessage.from("Stream me something."));
        String blocking = models.chatModel().chat(q).aiMessage().text();
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        StreamingChatModel streaming = models.streamingChatModel();
        streaming.chat(q, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.add(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse complete = done.get(120, TimeUnit.SECONDS);
        assertEquals(blocking, complete.aiMessage().text());
        assertEquals(blocking, String.join("", pieces));
        assertTrue(pieces.size() > 1, "more than one partial response: " + pieces);
    }

    interface Assistant {
        Result<String> chat(String message);
    }

    @Test
    void anAiServicesAssistantKeepsItsConversationInChatMemory() {
        MessageWindowChatMemory memory = MessageWindowChatMemory.withMaxMessages(10);
        ChatModel chat = models.chatModel();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(chat).chatMemory(memory).build();
        Result<String> first = assistant.chat("Hello there.");
        Result<String> second = assistant.chat("And then?");
        List<ChatMessage> kept = memory.messages();
        assertEquals(4, kept.size(), kept.toString());
        assertEquals(first.content(), ((AiMessage) kept.get(1)).text());
        assertEquals(second.content(), ((AiMessage) kept.get(3)).text());
        // The second turn saw the first: the same three messages sent directly give the same answer and prompt size.
        ChatResponse direct = chat.chat(request(kept.get(0), kept.get(1), kept.get(2)));
        assertEquals(second.content(), direct.aiMessage().text());
        assertEquals(direct.tokenUsage().inputTokenCount(), second.tokenUsage().inputTokenCount());
        assertTrue(second.tokenUsage().inputTokenCount() > first.tokenUsage().inputTokenCount());
    }

    @Test
    void stopSequencesCutTheAnswer() {
        ChatRequest q = request(UserMessage.from("Say something long."));
        String full = models.chatModel().chat(q).aiMessage().text();
        assertTrue(full.length() >= 4, full);
        String stop = full.substring(2, 4);
        ChatResponse cut = models.chatModel().chat(ChatRequest.builder().messages(q.messages())
                .parameters(ChatRequestParameters.builder().stopSequences(stop).build()).build());
        assertEquals(full.substring(0, full.indexOf(stop)), cut.aiMessage().text());
        assertEquals(FinishReason.STOP, cut.finishReason());
    }

    @Test
    void unsupportedFeaturesAreRefusedByName() {
        ChatModel chat = models.chatModel();
        ChatRequest tools = ChatRequest.builder().messages(UserMessage.from("Weather?")).parameters(
                ChatRequestParameters.builder().toolSpecifications(ToolSpecification.builder().name("weather").build())
                        .build()).build();
        assertTrue(assertThrows(UnsupportedFeatureException.class, () -> chat.chat(tools)).getMessage()
                .contains("memdec does not support tools"));
        ChatRequest image = request(UserMessage.from(TextContent.from("What is this?"),
                ImageContent.from("https://example.invalid/cat.png")));
        assertTrue(assertThrows(UnsupportedFeatureException.class, () -> chat.chat(image)).getMessage()
                .contains("images (ImageContent)"));
        StreamingChatModel streaming = models.streamingChatModel();
        assertTrue(assertThrows(UnsupportedFeatureException.class, () -> streaming.chat(image, new Ignore()))
                .getMessage().contains("images"), "streaming refuses before it starts");
        ChatRequest toolResult = request(UserMessage.from("Weather?"),
                ToolExecutionResultMessage.from("1", "weather", "sunny"));
        assertTrue(assertThrows(UnsupportedFeatureException.class, () -> chat.chat(toolResult)).getMessage()
                .contains("tools (a ToolExecutionResultMessage)"));
        ChatRequest json = ChatRequest.builder().messages(UserMessage.from("JSON please")).parameters(
                ChatRequestParameters.builder().responseFormat(ResponseFormat.JSON).build()).build();
        assertTrue(assertThrows(UnsupportedFeatureException.class, () -> chat.chat(json)).getMessage()
                .contains("JSON response format"));
        ChatRequest hot = ChatRequest.builder().messages(UserMessage.from("x")).parameters(
                ChatRequestParameters.builder().temperature(3.0).build()).build();
        assertTrue(assertThrows(InvalidRequestException.class, () -> chat.chat(hot)).getMessage()
                .contains("temperature must be in [0, 2], got 3.0"));
    }

    @Test
    void badSettingsAreRefusedBeforeLoading() {
        IllegalArgumentException lambda = assertThrows(IllegalArgumentException.class,
                () -> MemdecModels.builder().host(ServerTestModels.host()).lambda(1.5).build());
        assertTrue(lambda.getMessage().contains("lambda must be in [0, 1], got 1.5"));
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> MemdecModels.builder().host(ServerTestModels.host()).memory("law", ServerTestModels.memories()
                        .get("law")).useMemory("tax").build());
        assertTrue(name.getMessage().contains("no memory named 'tax'"));
        IllegalArgumentException topP = assertThrows(IllegalArgumentException.class,
                () -> MemdecModels.builder().host(ServerTestModels.host()).topP(0).build());
        assertTrue(topP.getMessage().contains("top_p"));
    }

    private static final class Ignore implements StreamingChatResponseHandler {
        @Override
        public void onCompleteResponse(ChatResponse response) {
        }

        @Override
        public void onError(Throwable error) {
        }
    }
}
