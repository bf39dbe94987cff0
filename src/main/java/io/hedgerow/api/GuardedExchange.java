package io.hedgerow.api;

import io.hedgerow.exec.ChainFailedException;
import io.hedgerow.exec.Served;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.Usage;
import io.hedgerow.route.RoutePlan;

import java.util.Optional;

/** Keeps an observer's failure the observer's: a runtime exception is logged and swallowed, never the request's. */
final class GuardedExchange implements RequestObserver.Exchange {
    private static final System.Logger LOG = System.getLogger(GuardedExchange.class.getName());
    private final RequestObserver.Exchange delegate;

    private GuardedExchange(RequestObserver.Exchange delegate) {
        this.delegate = delegate;
    }

    static RequestObserver.Exchange begin(RequestObserver observer, String requestId, String api,
                                          Optional<String> tag) {
        return begin(observer, requestId, api, tag, name -> Optional.empty());
    }

    static RequestObserver.Exchange begin(RequestObserver observer, String requestId, String api,
                                          Optional<String> tag,
                                          java.util.function.Function<String, Optional<String>> header) {
        try {
            return new GuardedExchange(observer.begin(requestId, api, tag, header));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "request observer failed", e);
            return RequestObserver.Exchange.NONE;
        }
    }

    @Override
    public void routed(RoutePlan plan, ChatRequest request) {
        guard(() -> delegate.routed(plan, request));
    }

    @Override
    public void routed(RoutePlan plan, boolean stream, long promptTokens) {
        guard(() -> delegate.routed(plan, stream, promptTokens));
    }

    @Override
    public void served(Served<?> served) {
        guard(() -> delegate.served(served));
    }

    @Override
    public void chainFailed(ChainFailedException failure) {
        guard(() -> delegate.chainFailed(failure));
    }

    @Override
    public void completed(Optional<Usage> usage, long outputChars) {
        guard(() -> delegate.completed(usage, outputChars));
    }

    @Override
    public void failed(int status, String code) {
        guard(() -> delegate.failed(status, code));
    }

    @Override
    public void close() {
        guard(delegate::close);
    }

    private static void guard(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "request observer failed", e);
        }
    }
}
