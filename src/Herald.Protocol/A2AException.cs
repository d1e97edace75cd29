using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>
/// A protocol error with its JSON-RPC code. Thrown by the server engine for the binding to translate,
/// and by the client when a server answers with an error.
/// </summary>
public class A2AException : Exception
{
    public A2AException(int code, string message, string? field = null)
        : base(message)
    {
        Code = code;
        Field = field;
    }

    public A2AException(int code, string message, Exception innerException)
        : base(message, innerException)
    {
        Code = code;
    }

    public A2AException()
        : this(A2AErrorCodes.InternalError, "Internal error")
    {
    }

    public A2AException(string message)
        : this(A2AErrorCodes.InternalError, message)
    {
    }

    public A2AException(string message, Exception innerException)
        : this(A2AErrorCodes.InternalError, message, innerException)
    {
    }

    /// <summary>The JSON-RPC error code (see <see cref="A2AErrorCodes"/>).</summary>
    public int Code { get; }

    /// <summary>The request field that failed validation, when there is one.</summary>
    public string? Field { get; }

    /// <summary>Extra <c>ErrorInfo</c> metadata, e.g. the task id.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }

    /// <summary>The raw <c>error.data</c> array received from a server (client side).</summary>
    public JsonElement? ErrorData { get; init; }

    public static A2AException TaskNotFound(string taskId)
    {
        // An id is echoed back to whoever sent it: cut, so that a huge one cannot amplify the answer.
        var shown = taskId.Length <= 128 ? taskId : taskId[..128] + "...";
        return new(A2AErrorCodes.TaskNotFound, $"Task '{shown}' was not found.") { Details = new Dictionary<string, string> { ["taskId"] = shown } };
    }

    /// <summary>A2A 1.1 <c>TaskGenerationMismatchError</c>: the follow-up's <c>ifGenerationMatch</c> is not the task's generation.</summary>
    public static A2AException TaskGenerationMismatch(string taskId, long expected, long current)
    {
        var shown = taskId.Length <= 128 ? taskId : taskId[..128] + "...";
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return new(A2AErrorCodes.TaskGenerationMismatch, $"Task generation mismatch: expected {expected} but current generation is {current}.")
        {
            Details = new Dictionary<string, string>
            {
                ["taskId"] = shown,
                ["expectedGeneration"] = expected.ToString(culture),
                ["currentGeneration"] = current.ToString(culture),
            },
        };
    }

    /// <summary>Herald's <see cref="A2AErrorCodes.PermissionDenied"/>: the request names a tenant its caller does not belong to.</summary>
    public static A2AException TenantMismatch(string requested)
    {
        var shown = requested.Length <= 128 ? requested : requested[..128] + "...";
        return new(A2AErrorCodes.PermissionDenied, $"The request names tenant '{shown}', which is not the tenant of its credentials.")
        {
            Details = new Dictionary<string, string> { ["tenant"] = shown },
        };
    }

    public static A2AException InvalidParams(string field, string message) =>
        new(A2AErrorCodes.InvalidParams, message, field);
}
