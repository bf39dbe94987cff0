package io.hedgerow.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.health.BreakerState;
import io.hedgerow.health.Measure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.json.Json;

import java.util.Optional;

/**
 * Records as JSON objects, the one form used in the snapshot file, in Redis values and on the change channel:
 * {@code {"type": "key"|"breaker"|"demotion"|"baseline", "at": ms, "expires": ms, "origin": ..., ...}}. Reading is lenient
 * about what it does not know (a newer replica's extra fields) and strict about what it needs: a record missing a
 * field, or with a value out of range, is not read (empty), never half read.
 */
final class RecordCodec {
    private RecordCodec() {
    }

    static ObjectNode toJson(StateRecord record) {
        ObjectNode node = Json.object();
        switch (record) {
            case StateRecord.Key k -> node.put("type", "key").put("fingerprint", k.fingerprint())
                    .put("label", k.label()).put("cause", k.cause().name()).put("consecutive", k.consecutive())
                    .put("cooling", k.cooling()).put("until", k.untilMillis()).put("credential", k.credential())
                    .put("since", k.sinceMillis());
            case StateRecord.Breaker b -> node.put("type", "breaker").put("candidate", b.candidate())
                    .put("kind", b.kind().name()).put("until", b.untilMillis()).put("reopens", b.reopenCount())
                    .put("reason", b.reason());
            case StateRecord.Demotion d -> node.put("type", "demotion").put("candidate", d.candidate())
                    .put("measure", d.measure().wireName()).put("demoted", d.demoted()).put("reason", d.reason());
            case StateRecord.Baseline b -> {
                node.put("type", "baseline").put("candidate", b.candidate()).put("measure", b.measure().wireName())
                        .put("buckets", b.weights().length);
                // Sparse: most of the 300-odd buckets of a provider's latencies are empty.
                ObjectNode weights = node.putObject("weights");
                double[] w = b.weights();
                for (int i = 0; i < w.length; i++) {
                    if (w[i] > 0) {
                        weights.put(Integer.toString(i), w[i]);
                    }
                }
            }
        }
        return node.put("at", record.atMillis()).put("expires", record.expiresAtMillis()).put("origin", record.origin());
    }

    static String write(StateRecord record) {
        try {
            return Json.MAPPER.writeValueAsString(toJson(record));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a state record", e);
        }
    }

    static Optional<StateRecord> read(String text) {
        try {
            return read(Json.MAPPER.readTree(text));
        } catch (JsonProcessingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static Optional<StateRecord> read(JsonNode node) {
        try {
            long at = number(node, "at");
            long expires = number(node, "expires");
            String origin = text(node, "origin");
            return Optional.of(switch (text(node, "type")) {
                case "key" -> new StateRecord.Key(hex(text(node, "fingerprint")), text(node, "label"),
                                                  FailureKind.valueOf(text(node, "cause")),
                                                  (int) Math.max(0, Math.min(1000, number(node, "consecutive"))),
                                                  bool(node, "cooling"), number(node, "until"),
                                                  bool(node, "credential"), number(node, "since"), at, expires,
                                                  origin);
                case "breaker" -> {
                    BreakerState.Kind kind = BreakerState.Kind.valueOf(text(node, "kind"));
                    if (kind == BreakerState.Kind.HALF_OPEN) {
                        throw new IllegalArgumentException("half-open is not shared");
                    }
                    yield new StateRecord.Breaker(text(node, "candidate"), kind, number(node, "until"),
                                                  (int) Math.max(0, Math.min(100, number(node, "reopens"))),
                                                  text(node, "reason"), at, expires, origin);
                }
                case "demotion" -> new StateRecord.Demotion(text(node, "candidate"), measure(node),
                                                            bool(node, "demoted"), text(node, "reason"), at, expires,
                                                            origin);
                case "baseline" -> new StateRecord.Baseline(text(node, "candidate"), measure(node), weights(node), at,
                                                            expires, origin);
                default -> throw new IllegalArgumentException("unknown type");
            });
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Measure measure(JsonNode node) {
        return Measure.valueOf(text(node, "measure").toUpperCase(java.util.Locale.ROOT));
    }

    private static double[] weights(JsonNode node) {
        long buckets = number(node, "buckets");
        JsonNode sparse = node.get("weights");
        if (buckets < 1 || buckets > 10_000 || sparse == null || !sparse.isObject()) {
            throw new IllegalArgumentException("weights");
        }
        double[] weights = new double[(int) buckets];
        sparse.properties().forEach(e -> {
            int i = Integer.parseInt(e.getKey());
            double w = e.getValue().isNumber() ? e.getValue().asDouble() : Double.NaN;
            if (i < 0 || i >= weights.length || !(w >= 0 && Double.isFinite(w))) {
                throw new IllegalArgumentException("weights");
            }
            weights[i] = w;
        });
        return weights;
    }

    private static String hex(String value) {
        if (!value.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("fingerprint");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(field);
        }
        return v.asText();
    }

    private static long number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.canConvertToLong()) {
            throw new IllegalArgumentException(field);
        }
        return v.asLong();
    }

    private static boolean bool(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isBoolean()) {
            throw new IllegalArgumentException(field);
        }
        return v.asBoolean();
    }
}
