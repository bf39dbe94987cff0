package io.hedgerow.dialect.bedrock;

import io.hedgerow.dialect.DialectException;

import software.amazon.awssdk.eventstream.HeaderValue;
import software.amazon.awssdk.eventstream.Message;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Reads AWS event-stream frames ({@code application/vnd.amazon.eventstream}) one at a time from a blocking stream.
 * A frame is a 12-byte prelude (total length, headers length, prelude CRC), headers, payload and a message CRC; this
 * class reads the total length to know how many bytes make the frame (refusing, before allocating, a frame larger
 * than {@code maxFrameBytes}) and hands the whole frame to the AWS SDK's {@link Message#decode}, which checks both
 * CRCs and parses the headers.
 *
 * <p>Not thread-safe: one reader per stream.
 */
public final class EventStreamFrames {
    /** Prelude (12) and message CRC (4): the smallest possible frame. */
    private static final int MIN_FRAME = 16;

    private final InputStream in;
    private final int maxFrameBytes;

    public EventStreamFrames(InputStream in, int maxFrameBytes) {
        this.in = in;
        this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * The next frame, or empty when the stream ends cleanly between frames.
     *
     * @throws EOFException     the stream ended inside a frame
     * @throws DialectException {@code BAD_RESPONSE}: a length out of bounds or a CRC that does not match
     */
    public Optional<Message> next() throws IOException, DialectException {
        byte[] length = new byte[4];
        int read = in.readNBytes(length, 0, 4);
        if (read == 0) {
            return Optional.empty();
        }
        if (read < 4) {
            throw new EOFException("event stream ended inside a frame");
        }
        int total = ByteBuffer.wrap(length).getInt();
        if (total < MIN_FRAME || total > maxFrameBytes) {
            throw DialectException.badResponse("event stream frame of " + Integer.toUnsignedString(total)
                    + " bytes (expected " + MIN_FRAME + ".." + maxFrameBytes + ")");
        }
        byte[] frame = new byte[total];
        System.arraycopy(length, 0, frame, 0, 4);
        if (in.readNBytes(frame, 4, total - 4) < total - 4) {
            throw new EOFException("event stream ended inside a frame");
        }
        try {
            return Optional.of(Message.decode(ByteBuffer.wrap(frame)));
        } catch (RuntimeException e) {
            throw DialectException.badResponse("malformed event stream frame: " + e.getMessage());
        }
    }

    /** A string header of a frame, when present. */
    public static Optional<String> header(Message frame, String name) {
        HeaderValue value = frame.getHeaders().get(name);
        try {
            return value == null ? Optional.empty() : Optional.of(value.getString());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
