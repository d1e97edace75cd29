namespace Herald.Cli.Agents;

/// <summary>The program <see cref="ExecAgent"/> runs for each message, with its arguments (passed as-is, no shell).</summary>
internal sealed record ExecCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The command line as a person would type it, for messages and the agent card.</summary>
    public string Display => string.Join(' ', new[] { FileName }.Concat(Arguments).Select(Quote));

    private static string Quote(string value) =>
        value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '\\' or '$' or '`')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
