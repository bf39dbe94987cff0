package io.hedgerow.dialect;

/**
 * Where a field is in a request, as a path ({@code messages[2].tool_calls[0].function.arguments}), built only when it
 * is read: checks pass a field's place along without paying for its text, and only an error message asks for it. A
 * check run over {@link #NOWHERE} builds nothing at all (every step returns it), which makes a first pass over a valid
 * request free of path allocations; the pass that reports an error runs from {@link #root()}.
 *
 * <p>Immutable.
 */
public final class Where implements CharSequence {
    /** A place that is never spelled out: its steps are itself. */
    public static final Where NOWHERE = new Where(null, null, -1);
    private static final Where ROOT = new Where(null, null, -1);

    private final Where parent;
    private final String field;
    private final int index;
    private String text;

    private Where(Where parent, String field, int index) {
        this.parent = parent;
        this.field = field;
        this.index = index;
    }

    /** The request itself. */
    public static Where root() {
        return ROOT;
    }

    /** A field of the object here. */
    public Where field(String name) {
        return this == NOWHERE ? NOWHERE : new Where(this, name, -1);
    }

    /** An item of the array here. */
    public Where index(int i) {
        return this == NOWHERE ? NOWHERE : new Where(this, null, i);
    }

    @Override
    public String toString() {
        if (text == null) {
            if (parent == null) {
                text = this == NOWHERE ? "(somewhere)" : "";
            } else {
                String before = parent.toString();
                text = field != null ? (before.isEmpty() ? field : before + "." + field) : before + "[" + index + "]";
            }
        }
        return text;
    }

    @Override
    public int length() {
        return toString().length();
    }

    @Override
    public char charAt(int i) {
        return toString().charAt(i);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return toString().subSequence(start, end);
    }
}
