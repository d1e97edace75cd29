using System.Buffers.Text;
using Herald.Protocol;
using Herald.Server.Storage;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Http;

/// <summary>
/// A2A 1.1 <c>generation</c> on the v1.0 JSON surfaces (JSON-RPC and REST). Written only for clients that ask for it: an
/// <c>A2A-Version: 1.1</c> request, or one that activates the resumable-streams extension (<c>A2A-Extensions</c> names
/// <see cref="HeraldExtensionUris.ResumableStreams"/>). Everyone else gets exactly the v1.0 objects, without the member
/// (a strict ProtoJSON parser of the v1.0 schema would refuse an unknown one). The engine's tasks and events always
/// carry their generation; this is where it is kept or dropped.
/// </summary>
internal static class GenerationFields
{
    /// <summary>The A2A service parameter that lists the extensions a request activates (spec 3.2.6).</summary>
    public const string ExtensionsHeader = "A2A-Extensions";

    /// <summary>True when the request's client reads <c>generation</c>.</summary>
    public static bool Requested(HttpRequest request)
    {
        var version = ProtocolVersionHeader.Read(request);
        return ProtocolVersionHeader.IsV11(version) || ActivatesResumableStreams(request);
    }

    /// <summary>True when <c>A2A-Extensions</c> (header or query parameter) names the resumable-streams extension.</summary>
    public static bool ActivatesResumableStreams(HttpRequest request)
    {
        foreach (var value in request.Headers[ExtensionsHeader])
        {
            if (Names(value))
            {
                return true;
            }
        }

        return Names(request.Query[ExtensionsHeader].ToString());

        static bool Names(string? list)
        {
            if (string.IsNullOrEmpty(list))
            {
                return false;
            }

            foreach (var range in list.AsSpan().Split(','))
            {
                if (list.AsSpan(range).Trim().SequenceEqual(HeraldExtensionUris.ResumableStreams))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The task as this client reads it: with its generation when asked for, without it otherwise.</summary>
    public static AgentTask Task(AgentTask task, bool requested) =>
        requested || task.Generation is null ? task : task with { Generation = null };

    public static SendMessageResponse Response(SendMessageResponse response, bool requested) =>
        response.Task is { } task ? response with { Task = Task(task, requested) } : response;

    public static ListTasksResponse Page(ListTasksResponse page, bool requested) =>
        requested ? page : page with { Tasks = [.. page.Tasks.Select(t => Task(t, false))] };

    /// <summary>
    /// An event's v1.0 <c>StreamResponse</c> with <c>"generation":N</c> added as the last member of its one event object:
    /// spliced into the shared bytes (<c>{"statusUpdate":{...}}</c>), so nothing is decoded or serialized again. An event
    /// without a generation (a store that does not assign one) keeps its bytes.
    /// </summary>
    public static byte[] Splice(TaskEvent taskEvent)
    {
        var v1 = taskEvent.GetV1Json().Span;
        if (taskEvent.Generation <= 0 || !taskEvent.IsStreamed || v1.Length < 4 || v1[^1] != (byte)'}' || v1[^2] != (byte)'}')
        {
            return v1.ToArray();
        }

        ReadOnlySpan<byte> member = ",\"generation\":"u8;
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(taskEvent.Generation, digits, out var written);
        var bytes = new byte[v1.Length + member.Length + written];
        var head = v1.Length - 2;
        v1[..head].CopyTo(bytes);
        member.CopyTo(bytes.AsSpan(head));
        digits[..written].CopyTo(bytes.AsSpan(head + member.Length));
        "}}"u8.CopyTo(bytes.AsSpan(head + member.Length + written));
        return bytes;
    }

    /// <summary>The v1.0 <c>StreamResponse</c> of an event with its generation, encoded once per event and shared by every stream.</summary>
    public sealed class Encoding : EventEncoding
    {
        public static readonly Encoding Instance = new();

        protected internal override byte[] Encode(TaskEvent taskEvent) => Splice(taskEvent);
    }
}
