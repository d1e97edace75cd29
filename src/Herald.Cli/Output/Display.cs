using System.Text;
using System.Text.Json;
using Herald.Protocol;

namespace Herald.Cli.Output;

/// <summary>How protocol values read for a person.</summary>
internal static class Display
{
    /// <summary><c>completed</c>, <c>input-required</c>, ... (the spec's names without the prefix).</summary>
    public static string State(TaskState state) => state switch
    {
        TaskState.Submitted => "submitted",
        TaskState.Working => "working",
        TaskState.Completed => "completed",
        TaskState.Failed => "failed",
        TaskState.Canceled => "canceled",
        TaskState.InputRequired => "input-required",
        TaskState.Rejected => "rejected",
        TaskState.AuthRequired => "auth-required",
        _ => "unspecified",
    };

    /// <summary>Reads a state as a person or a script writes it: <c>completed</c>, <c>input-required</c>, <c>input_required</c>, <c>TASK_STATE_COMPLETED</c>.</summary>
    public static TaskState? ParseState(string text)
    {
        var normalized = text.Trim().Replace('-', '_').ToUpperInvariant();
        if (normalized.StartsWith("TASK_STATE_", StringComparison.Ordinal))
        {
            normalized = normalized["TASK_STATE_".Length..];
        }

        foreach (var state in Enum.GetValues<TaskState>())
        {
            if (state != TaskState.Unspecified && string.Equals(State(state).Replace('-', '_'), normalized, StringComparison.OrdinalIgnoreCase))
            {
                return state;
            }
        }

        return null;
    }

    public static string Role(Protocol.Role role) => role switch
    {
        Protocol.Role.User => "user",
        Protocol.Role.Agent => "agent",
        _ => "?",
    };

    /// <summary>The parts as text: text parts as they are, others as a short placeholder.</summary>
    public static string Parts(IEnumerable<Part>? parts)
    {
        var text = new StringBuilder();
        foreach (var part in parts ?? [])
        {
            text.Append(Part(part));
        }

        return text.ToString();
    }

    public static string Part(Part part)
    {
        if (part.Text is { } text)
        {
            return text;
        }

        var name = part.Filename is null ? "" : part.Filename + " ";
        var type = part.MediaType ?? "";
        if (part.Raw is { } raw)
        {
            return $"<file {name}{type} {raw.Length} bytes>";
        }

        if (part.Url is { } url)
        {
            return $"<file {name}{type} {url}>";
        }

        if (part.Data is { } data)
        {
            return data.ValueKind == JsonValueKind.Undefined ? "<data>" : data.GetRawText();
        }

        return "";
    }

    /// <summary>Seconds with two decimals: <c>1.25s</c>.</summary>
    public static string Elapsed(TimeSpan elapsed) =>
        elapsed.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + "s";

    /// <summary>One line: line breaks become spaces, long text is cut.</summary>
    public static string OneLine(string text, int max = 200)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }
}
