package io.hedgerow.exec;

import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderException;

import java.util.Optional;

/** An attempt's upstream stream that gives its bulkhead permit back when it is closed, whoever closes it. */
final class ReleasingStream implements ChatStream {
    private final ChatStream stream;
    private final Attempt attempt;

    ReleasingStream(ChatStream stream, Attempt attempt) {
        this.stream = stream;
        this.attempt = attempt;
    }

    @Override
    public Optional<StreamEvent> next() throws ProviderException {
        return stream.next();
    }

    @Override
    public void close() {
        try {
            stream.close();
        } finally {
            attempt.release();
        }
    }
}
