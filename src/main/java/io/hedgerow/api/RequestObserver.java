package io.hedgerow.api;

import io.hedgerow.exec.ChainFailedException;
import io.hedgerow.exec.Served;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.Usage;
import io.hedgerow.route.PromptSize;
import io.hedgerow.route.RoutePlan;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Told how each chat request goes, for metrics, cost accounting and events. {@link #begin} is called when a
 * request arrives; the returned exchange hears what happened, on the request's own thread, and is closed when the
 * request is over. Implementations must be quick; an exception they throw is logged and never fails the request.
 */
@FunctionalInterface
public interface RequestObserver {
    /** An observer that ignores everything. */
    RequestObserver NONE = (requestId, api, tag) -> Exchange.NONE;

    /**
     * A chat request arrived.
     *
     * @param requestId its {@code x-request-id}
     * @param api       the inbound API it called, e.g. {@code chat_completions} or {@code messages}
     * @param tag       the client's {@code x-hedgerow-tag} header as sent, if any (not yet checked)
     */
    Exchange begin(String requestId, String api, Optional<String> tag);

    /**
     * A chat request arrived, with its headers at hand: a tracer reads the client's {@code traceparent} from them.
     * By default the headers are not looked at.
     *
     * @param header the request's headers by name (any case)
     */
    default Exchange begin(String requestId, String api, Optional<String> tag,
                           Function<String, Optional<String>> header) {
        return begin(requestId, api, tag);
    }

    /** An observer that reads the request's headers: told of a request without them, it sees none. */
    interface HeaderAware extends RequestObserver {
        @Override
        default Exchange begin(String requestId, String api, Optional<String> tag) {
            return begin(requestId, api, tag, name -> Optional.empty());
        }

        @Override
        Exchange begin(String requestId, String api, Optional<String> tag, Function<String, Optional<String>> header);
    }

    /** Several observers, each told everything in turn; what one throws does not keep the others from hearing. */
    static RequestObserver all(List<RequestObserver> observers) {
        List<RequestObserver> list = List.copyOf(observers);
        return new HeaderAware() {
            @Override
            public Exchange begin(String requestId, String api, Optional<String> tag,
                                  Function<String, Optional<String>> header) {
                List<Exchange> exchanges = new java.util.ArrayList<>();
                for (RequestObserver observer : list) {
                    exchanges.add(GuardedExchange.begin(observer, requestId, api, tag, header));
                }
                return new Exchanges(exchanges);
            }
        };
    }

    /** One request's story; every method has a do-nothing default. */
    interface Exchange extends AutoCloseable {
        /** An exchange that ignores everything. */
        Exchange NONE = new Exchange() {
        };

        /** The chat request was parsed and names this plan. */
        default void routed(RoutePlan plan, ChatRequest request) {
            // The estimate counts the requested output limit too: a prompt's size is what is left.
            routed(plan, request.stream(), Math.max(0, PromptSize.estimateTokens(request)
                    - request.sampling().maxTokens().orElse(0)));
        }

        /**
         * The request was parsed and names this plan.
         *
         * @param stream       whether the answer is streamed
         * @param promptTokens the estimated size of its input, for the cost of attempts cancelled before answering
         */
        default void routed(RoutePlan plan, boolean stream, long promptTokens) {
        }

        /** A candidate answered (a whole response, or a stream's first token). */
        default void served(Served<?> served) {
        }

        /** No candidate could answer. */
        default void chainFailed(ChainFailedException failure) {
        }

        /**
         * The answer reached the client in full.
         *
         * @param usage       token counts as the provider reported them, if it did
         * @param outputChars characters of text and tool-call arguments sent, for an estimate when usage is missing
         */
        default void completed(Optional<Usage> usage, long outputChars) {
        }

        /** The request ended in this error, as the client saw it (a status, or an SSE error event's code). */
        default void failed(int status, String code) {
        }

        /** The request is over, whatever its outcome. */
        @Override
        default void close() {
        }
    }

    /** Exchanges told in turn (each one guarded), closed in reverse order. */
    record Exchanges(List<Exchange> all) implements Exchange {
        @Override
        public void routed(RoutePlan plan, ChatRequest request) {
            all.forEach(e -> e.routed(plan, request));
        }

        @Override
        public void routed(RoutePlan plan, boolean stream, long promptTokens) {
            all.forEach(e -> e.routed(plan, stream, promptTokens));
        }

        @Override
        public void served(Served<?> served) {
            all.forEach(e -> e.served(served));
        }

        @Override
        public void chainFailed(ChainFailedException failure) {
            all.forEach(e -> e.chainFailed(failure));
        }

        @Override
        public void completed(Optional<Usage> usage, long outputChars) {
            all.forEach(e -> e.completed(usage, outputChars));
        }

        @Override
        public void failed(int status, String code) {
            all.forEach(e -> e.failed(status, code));
        }

        @Override
        public void close() {
            for (int i = all.size() - 1; i >= 0; i--) {
                all.get(i).close();
            }
        }
    }
}
