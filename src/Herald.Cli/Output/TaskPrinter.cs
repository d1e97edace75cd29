using System.Globalization;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Cli.Output;

/// <summary>Protocol objects as text for a person (the non-streaming verbs).</summary>
internal static class TaskPrinter
{
    /// <summary>The task: id, state and status message, artifacts in full, history if present.</summary>
    public static async Task WriteTaskAsync(TextWriter output, AgentTask task)
    {
        await output.WriteLineAsync($"task {task.Id} {Display.State(task.Status.State)} (context {task.ContextId})").ConfigureAwait(false);
        if (task.Status.Message is { } status)
        {
            await output.WriteLineAsync($"  status: {Display.OneLine(Display.Parts(status.Parts), 1000)}").ConfigureAwait(false);
        }

        if (task.Status.Timestamp is { } timestamp)
        {
            await output.WriteLineAsync($"  updated: {timestamp.ToString("u", CultureInfo.InvariantCulture)}").ConfigureAwait(false);
        }

        foreach (var artifact in task.Artifacts ?? [])
        {
            var name = artifact.Name is null || artifact.Name == artifact.ArtifactId ? artifact.ArtifactId : $"{artifact.Name} ({artifact.ArtifactId})";
            await output.WriteLineAsync($"  artifact {name}:").ConfigureAwait(false);
            await WriteIndentedAsync(output, Display.Parts(artifact.Parts), "    ").ConfigureAwait(false);
        }

        if (task.History is { Count: > 0 } history)
        {
            await output.WriteLineAsync($"  history ({history.Count} message(s)):").ConfigureAwait(false);
            foreach (var message in history)
            {
                await output.WriteLineAsync($"    {Display.Role(message.Role)}: {Display.OneLine(Display.Parts(message.Parts))}").ConfigureAwait(false);
            }
        }

        await output.FlushAsync().ConfigureAwait(false);
    }

    public static async Task WriteMessageAsync(TextWriter output, Message message)
    {
        await output.WriteLineAsync($"{Display.Role(message.Role)}: {Display.Parts(message.Parts)}").ConfigureAwait(false);
        await output.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>One line per task: id, state, context, last update, status message.</summary>
    public static async Task WriteTaskLineAsync(TextWriter output, AgentTask task)
    {
        var updated = task.Status.Timestamp?.ToString("u", CultureInfo.InvariantCulture) ?? "-";
        var message = task.Status.Message is { } m ? Display.OneLine(Display.Parts(m.Parts), 80) : "";
        await output.WriteLineAsync($"{task.Id}  {Display.State(task.Status.State),-14}  {task.ContextId ?? "-"}  {updated}  {message}".TrimEnd()).ConfigureAwait(false);
    }

    public static async Task WriteCardAsync(TextWriter output, A2AEndpoint endpoint)
    {
        var card = endpoint.Card;
        if (card is not null)
        {
            await output.WriteLineAsync($"{card.Name} (version {card.Version})").ConfigureAwait(false);
            await output.WriteLineAsync($"  {Display.OneLine(card.Description, 1000)}").ConfigureAwait(false);
            if (card.Provider is { } provider)
            {
                await output.WriteLineAsync($"  provider: {provider.Organization} {provider.Url}").ConfigureAwait(false);
            }

            foreach (var candidate in card.SupportedInterfaces)
            {
                var used = candidate == endpoint.Interface ? "  (in use)" : "";
                await output.WriteLineAsync($"  interface: {candidate.ProtocolBinding} {candidate.ProtocolVersion} at {candidate.Url}{used}").ConfigureAwait(false);
            }

            // The versions served, per binding, in the card's order: e.g. "JSONRPC 1.0, 0.3, 1.1; HTTP+JSON 1.0, 1.1".
            var versions = card.SupportedInterfaces
                .GroupBy(i => i.ProtocolBinding, StringComparer.OrdinalIgnoreCase)
                .Select(g => $"{g.Key} {string.Join(", ", g.Select(i => i.ProtocolVersion).Distinct(StringComparer.Ordinal))}");
            await output.WriteLineAsync($"  versions: {string.Join("; ", versions)}").ConfigureAwait(false);
            if (card.Capabilities.Extensions?.Any(e => e.Uri == HeraldExtensionUris.ResumableStreams) == true)
            {
                await output.WriteLineAsync("  resumable streams: yes (event ids, and A2A 1.1 generations on every version)").ConfigureAwait(false);
            }

            if (endpoint.V03Card is { } v03)
            {
                var preferred = string.IsNullOrEmpty(v03.PreferredTransport) ? "JSONRPC (not declared)" : v03.PreferredTransport;
                await output.WriteLineAsync($"  v0.3 card: protocolVersion {Display.OneLine(v03.ProtocolVersion is { Length: > 0 } v ? v : "(not declared)", 40)}, url {v03.Url}, preferredTransport {preferred}")
                    .ConfigureAwait(false);
                foreach (var additional in v03.AdditionalInterfaces ?? [])
                {
                    await output.WriteLineAsync($"    additional interface: {additional.Transport} at {additional.Url}").ConfigureAwait(false);
                }
            }

            var capabilities = card.Capabilities;
            await output.WriteLineAsync(
                $"  streaming: {YesNo(capabilities.Streaming)}, push notifications: {YesNo(capabilities.PushNotifications)}, extended card: {YesNo(capabilities.ExtendedAgentCard)}")
                .ConfigureAwait(false);
            await output.WriteLineAsync($"  input: {string.Join(", ", card.DefaultInputModes)}; output: {string.Join(", ", card.DefaultOutputModes)}").ConfigureAwait(false);
            foreach (var skill in card.Skills)
            {
                await output.WriteLineAsync($"  skill {skill.Id}: {skill.Name} - {Display.OneLine(skill.Description, 300)}").ConfigureAwait(false);
                if (skill.Examples is { Count: > 0 } examples)
                {
                    await output.WriteLineAsync($"    examples: {string.Join(" | ", examples)}").ConfigureAwait(false);
                }
            }
        }
        else
        {
            await output.WriteLineAsync($"interface: {endpoint.Interface.ProtocolBinding} {endpoint.Interface.ProtocolVersion} at {endpoint.Interface.Url}").ConfigureAwait(false);
        }

        await output.FlushAsync().ConfigureAwait(false);
    }

    private static string YesNo(bool? value) => value == true ? "yes" : "no";

    private static async Task WriteIndentedAsync(TextWriter output, string text, string indent)
    {
        foreach (var line in text.TrimEnd('\r', '\n').Split('\n'))
        {
            await output.WriteLineAsync(indent + line.TrimEnd('\r')).ConfigureAwait(false);
        }
    }
}
