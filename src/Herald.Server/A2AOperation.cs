using System.Collections;
using System.Diagnostics;
using Herald.Protocol;
using Microsoft.Extensions.Logging;

namespace Herald.Server;

/// <summary>
/// One A2A operation as a binding serves it: its span (<c>a2a/{method}</c>, following the OpenTelemetry RPC conventions),
/// its <c>herald.operations</c> count and <c>herald.operation.duration</c>, and an <see cref="ILogger"/> scope that carries
/// the method, binding and task id to every log written while it runs (the engine's included). The span is started only
/// when a listener samples it; the bindings start one per request and dispose it when the response has ended.
/// </summary>
internal sealed class A2AOperation : IReadOnlyList<KeyValuePair<string, object?>>, IDisposable
{
    /// <summary>The <c>rpc.service</c> of every binding: span names are <c>a2a/SendMessage</c> whatever the wire.</summary>
    public const string Service = "a2a";

    /// <summary>A method name no dialect knows (kept out of span names and metric attributes: unbounded).</summary>
    public const string Other = "_OTHER";

    private static readonly AsyncLocal<A2AOperation?> CurrentOperation = new();

    private readonly A2AOperation? _previous;
    private readonly IDisposable? _scope;
    private readonly long _started;
    private readonly Activity? _previousActivity;
    private string _outcome = "ok";
    private bool _disposed;

    private A2AOperation(ILogger logger, string method, string binding, string? rpcSystem, string? dialect)
    {
        Method = method;
        Binding = binding;
        _started = Stopwatch.GetTimestamp();
        if (Telemetry.Source.HasListeners())
        {
            _previousActivity = Activity.Current;
            Activity = StartSpan(Service + "/" + method);
            if (Activity is { IsAllDataRequested: true } activity)
            {
                if (rpcSystem is not null)
                {
                    activity.SetTag("rpc.system", rpcSystem);
                }

                activity.SetTag("rpc.service", Service);
                activity.SetTag("rpc.method", method);
                activity.SetTag("a2a.binding", binding);
                if (dialect is not null)
                {
                    activity.SetTag("a2a.dialect", dialect);
                }
            }
        }

        _previous = CurrentOperation.Value;
        CurrentOperation.Value = this;
        _scope = logger.BeginScope(this);
    }

    /// <summary>
    /// Under ASP.NET Core's server span (its instrumentation listening) the operation is an internal child. Without it the
    /// operation is the server span: ASP.NET Core still creates its request activity for logging and diagnostics, never
    /// sampled, so the operation takes that activity's parent (the caller's <c>traceparent</c>, if any) rather than inherit
    /// "not sampled" from it.
    /// </summary>
    private static Activity? StartSpan(string name)
    {
        var current = Activity.Current;
        if (current is { Kind: ActivityKind.Server })
        {
            return Telemetry.Source.StartActivity(name, ActivityKind.Internal);
        }

        if (current is { OperationName: "Microsoft.AspNetCore.Hosting.HttpRequestIn" })
        {
            if (ActivityContext.TryParse(current.ParentId, current.TraceStateString, isRemote: true, out var parent))
            {
                return Telemetry.Source.StartActivity(name, ActivityKind.Server, parent);
            }

            // A default parent context means "the current activity": a root needs no current one while it starts.
            Activity.Current = null;
            try
            {
                return Telemetry.Source.StartActivity(name, ActivityKind.Server);
            }
            finally
            {
                Activity.Current ??= current;
            }
        }

        return Telemetry.Source.StartActivity(name, ActivityKind.Server);
    }

    /// <summary>The operation the caller's flow is serving, if any.</summary>
    public static A2AOperation? Current => CurrentOperation.Value;

    /// <summary>The operation's span, when a listener sampled it.</summary>
    public Activity? Activity { get; }

    /// <summary>The A2A method in v1.0 terms (<c>SendMessage</c>, ...), or <see cref="Other"/>.</summary>
    public string Method { get; private set; }

    /// <summary><c>JSONRPC</c>, <c>HTTP+JSON</c> or <c>GRPC</c>.</summary>
    public string Binding { get; }

    /// <summary>The task the operation is about, once known.</summary>
    public string? TaskId { get; private set; }

    public int Count => 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("rpc.method", Method),
        1 => new("a2a.binding", Binding),
        2 => new("a2a.task.id", TaskId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>Starts an operation (dispose it when the response has ended).</summary>
    /// <param name="logger">The binding's logger: its scope carries the operation to every log of the request.</param>
    /// <param name="method">The A2A method in v1.0 terms, or <see cref="Other"/> until known (<see cref="SetMethod"/>).</param>
    /// <param name="binding"><c>JSONRPC</c>, <c>HTTP+JSON</c> or <c>GRPC</c>.</param>
    /// <param name="rpcSystem"><c>jsonrpc</c>, <c>grpc</c>, or null (HTTP+JSON is no RPC system).</param>
    /// <param name="dialect"><c>1.0</c>, <c>1.1</c>, <c>0.3</c> or <c>tutorial</c>; null until known (<see cref="SetDialect"/>).</param>
    public static A2AOperation Start(ILogger logger, string method, string binding, string? rpcSystem, string? dialect = null) =>
        new(logger, method, binding, rpcSystem, dialect);

    /// <summary>
    /// Tags the current operation with the task it is about (the engine calls this as soon as it knows). The first task
    /// wins, and an operation that has ended takes none: an agent's run inherits its request's flow, and the tasks it
    /// starts itself are not that request's.
    /// </summary>
    public static void TagTask(string? taskId)
    {
        if (CurrentOperation.Value is { _disposed: false, TaskId: null } operation && !string.IsNullOrEmpty(taskId))
        {
            operation.TaskId = taskId;
            operation.Activity?.SetTag("a2a.task.id", taskId);
        }
    }

    /// <summary>The method, once the request has been read far enough to know it.</summary>
    public void SetMethod(string method)
    {
        Method = method;
        if (Activity is { } activity)
        {
            activity.DisplayName = Service + "/" + method;
            activity.SetTag("rpc.method", method);
        }
    }

    public void SetDialect(string dialect) => Activity?.SetTag("a2a.dialect", dialect);

    /// <summary>The operation ends with an A2A error (answered to the client).</summary>
    public void Fail(A2AException error)
    {
        _outcome = "error";
        if (Activity is { } activity)
        {
            activity.SetTag("a2a.error.code", error.Code);
            activity.SetTag("error.type", error.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }
    }

    /// <summary>The operation ends with an error the server did not expect (answered as an internal error).</summary>
    public void Fail(Exception exception)
    {
        _outcome = "error";
        if (Activity is { } activity)
        {
            activity.SetTag("a2a.error.code", A2AErrorCodes.InternalError);
            activity.SetTag("error.type", exception.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, "Internal error");
        }
    }

    /// <summary>The operation ends with an error that is not an A2A one (a transport's refusal: <paramref name="errorType"/>).</summary>
    public void Fail(string errorType, string description)
    {
        _outcome = "error";
        if (Activity is { } activity)
        {
            activity.SetTag("error.type", errorType);
            activity.SetStatus(ActivityStatusCode.Error, description);
        }
    }

    /// <summary>The client went away before the answer was complete.</summary>
    public void Canceled() => _outcome = "canceled";

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (Telemetry.Operations.Enabled || Telemetry.OperationDuration.Enabled)
        {
            var tags = new TagList
            {
                { "rpc.method", Method },
                { "a2a.binding", Binding },
                { "herald.outcome", _outcome },
            };
            Telemetry.Operations.Add(1, tags);
            Telemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
        }

        if (Activity is { } activity)
        {
            activity.SetTag("herald.outcome", _outcome);
            activity.Dispose();
            Activity.Current = _previousActivity; // a root (or remote-parented) span would leave none current
        }

        _scope?.Dispose();
        if (CurrentOperation.Value == this)
        {
            CurrentOperation.Value = _previous;
        }
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => TaskId is null ? $"{Service}/{Method} ({Binding})" : $"{Service}/{Method} ({Binding}) task {TaskId}";
}
