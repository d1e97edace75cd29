using Herald.Protocol;
using Herald.Protocol.Signing;

namespace Herald.Server;

/// <summary>Settings of a Herald server. Bound through <c>IOptions&lt;HeraldOptions&gt;</c>.</summary>
public sealed class HeraldOptions
{
    /// <summary>
    /// The agent card served at <c>/.well-known/agent-card.json</c>. Interfaces and capabilities are
    /// filled in from what the server actually offers when left empty.
    /// </summary>
    public AgentCard Card { get; set; } = new() { Name = "Herald agent", Description = "An A2A agent hosted by Herald." };

    /// <summary>
    /// The extended agent card (GetExtendedAgentCard; v0.3 <c>agent/getAuthenticatedExtendedCard</c>), served to
    /// authenticated callers only (others get HTTP 401 or gRPC UNAUTHENTICATED); the public card then says
    /// <c>capabilities.extendedAgentCard: true</c>. Over HTTP, interfaces and security left empty are the public card's;
    /// capabilities are always what Herald serves. Null (the default): none, and the method answers that none is configured.
    /// Setting it needs an authentication scheme (<c>AddAuthentication()</c>).
    /// </summary>
    public AgentCard? ExtendedCard { get; set; }

    /// <summary>
    /// Where clients reach this server, e.g. <c>https://agents.example.com/</c> behind a proxy or load balancer: the
    /// agent card's interface URLs are this plus the path the endpoints are mapped at. When unset, they are built
    /// from the addresses the server listens on, never from a client's <c>Host</c> header alone (a card cached by a
    /// proxy must not send other clients to a host an attacker named).
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>
    /// Signs the agent card (spec 8.4) when set: the card served carries <c>signatures</c>, a detached JWS over the JCS
    /// form (RFC 8785) of the served card JSON without that member, whose protected header names this key's
    /// <c>kid</c> and a <c>jku</c> at <c>{endpoints}/.well-known/jwks.json</c>, where the public key is served. Null (the
    /// default) serves an unsigned card (and no JWKS unless <see cref="PushSigningKey"/> is set). Make one with <see cref="AgentCardSigningKey.FromPem"/> or
    /// <see cref="AgentCardSigningKey.Create(System.Security.Cryptography.ECDsa, string?)"/>.
    /// </summary>
    public AgentCardSigningKey? CardSigningKey { get; set; }

    /// <summary>
    /// Signs each push notification delivery when set: a JWT in the <c>Herald-Push-Signature</c> header whose claims bind
    /// the task id, the event's sequence and a SHA-256 of the body (see <see cref="PushNotificationSignature"/>); its public
    /// key is served in the JWKS at <c>{endpoints}/.well-known/jwks.json</c> with the card's. Null (the default) signs with
    /// <see cref="CardSigningKey"/> when that is set, else deliveries are not signed.
    /// </summary>
    public AgentCardSigningKey? PushSigningKey { get; set; }

    /// <summary>
    /// Webhook hosts and addresses admitted although the SSRF guard refuses them by default (loopback, private, link-local,
    /// metadata, ...): each entry a host name (<c>webhooks.internal</c>), an IP address (<c>127.0.0.1</c>) or a CIDR range
    /// (<c>10.0.0.0/8</c>, <c>fd00::/8</c>). Empty by default. For development and tests, or a webhook on a private network.
    /// </summary>
    public IList<string> WebhookAllow { get; set; } = [];

    /// <summary>How long one push notification delivery may take, from connecting to the webhook's answer (spec 13.2 recommends 10 to 30 s).</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often an idle stream gets a <c>: keep-alive</c> comment so proxies keep it open.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The reconnection delay sent once as <c>retry:</c> at the start of every stream.</summary>
    public TimeSpan SseRetry { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Adds an <c>event:</c> line (<c>task</c>, <c>status-update</c>, <c>artifact-update</c>, <c>message</c>)
    /// to stream events, for browser dashboards. Off by default: common A2A clients read unnamed events only.
    /// </summary>
    public bool NamedSseEvents { get; set; }

    /// <summary>
    /// Streams updates the way cleveragents clients read them: after the first item (the JSON-RPC response to the
    /// request), each status or artifact update is a JSON-RPC 2.0 notification (<c>"method": "task/statusUpdate"</c> or
    /// <c>"task/artifactUpdate"</c>, <c>params</c> the event, no <c>id</c>) with that method as its SSE <c>event:</c> and
    /// the sequence as its <c>id:</c>. Applies to v1.0 and v0.3 streams; tutorial-era streams keep the shape their
    /// clients read. Off by default: clients of the A2A specification read responses only.
    /// </summary>
    public bool JsonRpcNotificationEvents { get; set; }

    /// <summary>Largest accepted request body; larger requests get HTTP 413 with a JSON-RPC error.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Largest event an agent (or <see cref="IHeraldTasks"/>) may append, in bytes of its v1.0 JSON: a larger report
    /// is refused with an <see cref="ArgumentException"/> (split the chunk). Keeps every stream event within what
    /// clients accept.
    /// </summary>
    public int MaxEventBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Largest response the server writes in one piece, in bytes: a unary result (GetTask, ListTasks, ...) or the
    /// first item of a stream (the task snapshot). A larger one is answered with an error that says how to ask for
    /// less. Herald's client accepts a little more than this by default (framing), so the two always agree.
    /// </summary>
    public long MaxResponseBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Bytes of responses in flight, shared by every binding: a unary answer (GetTask, ListTasks, CancelTask,
    /// SendMessage) and the first item of a stream (the task snapshot) reserve their encoded size before they are
    /// written and return it once the write completed or failed. A response that does not fit waits up to
    /// <see cref="ResponseBudgetWait"/>, then is answered "busy, retry" (HTTP 503 with <c>Retry-After</c>, or gRPC
    /// RESOURCE_EXHAUSTED). A single response larger than the whole budget is sent when nothing else is in flight.
    /// </summary>
    public long MaxResponseBytesInFlight { get; set; } = 256L * 1024 * 1024;

    /// <summary>How long a response waits for room in <see cref="MaxResponseBytesInFlight"/> before it is answered "busy".</summary>
    public TimeSpan ResponseBudgetWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Most whole tasks being built and encoded at once for unary answers (GetTask, ListTasks, CancelTask): rebuilding a
    /// large task from its stored events costs many times its size in short-lived memory, so further requests wait for a
    /// turn, up to <see cref="ResponseBudgetWait"/>, then are answered "busy" as when the bytes budget is full. A turn lasts
    /// until the answer is encoded and its bytes are reserved in <see cref="MaxResponseBytesInFlight"/>.
    /// </summary>
    public int MaxConcurrentTaskSnapshots { get; set; } = 2 * Environment.ProcessorCount;

    /// <summary>
    /// Longest a response write may make no progress: a client that stops reading (whatever it read before) has its
    /// connection aborted once one write has waited this long. Idle streams are not affected: the deadline runs only
    /// while a write is pending.
    /// </summary>
    public TimeSpan WriteStallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest accepted JSON-RPC request id, in bytes of its JSON text; a longer one is an invalid request (-32600).</summary>
    public int MaxRequestIdLength { get; set; } = 256;

    /// <summary>
    /// Deepest accepted JSON nesting in a request, counted from the request's outermost value (1 to 512). Whatever is
    /// accepted is stored and served however deep its envelopes make it (events, tasks and responses nest it a few levels deeper).
    /// </summary>
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>ListTasks page size when the client sends none.</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Largest ListTasks page size a client may ask for.</summary>
    public int MaxPageSize { get; set; } = 100;

    /// <summary>
    /// How long shutdown waits for canceled agents to return, and then at most for streams that are behind
    /// to deliver their final events. Keep it below the host's shutdown timeout.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a runner lease lasts without renewal. A running agent renews it every third of this; when the
    /// process running an agent dies, its tasks are failed (with a reason) once the lease has expired.
    /// </summary>
    public TimeSpan RunnerLeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long ended tasks (completed, failed, canceled, rejected) are kept, counted from their final
    /// status; then they are deleted with their event logs. Null keeps them forever.
    /// </summary>
    public TimeSpan? TaskRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long an agent's reports are retried while the store fails transiently (a dropped connection, a full disk).
    /// Meanwhile the agent's report calls wait once too much is pending; past it, the run is abandoned: the agent's
    /// token is canceled and the task is failed with a reason as soon as the store accepts writes again.
    /// </summary>
    public TimeSpan StoreRetryHorizon { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stream stays open while the store is unavailable, sending keep-alives; past it, the stream ends with an
    /// error event, and the client resumes later with <c>Last-Event-ID</c> from the last event it received.
    /// </summary>
    public TimeSpan StoreOutageStreamTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a followed task's log goes without being re-read when no wake-up comes: wake-ups are only hints, and a
    /// store whose notification channel silently dropped one still delivers within this interval.
    /// </summary>
    public TimeSpan WakeupFallbackInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a GetTask with <c>currentGeneration</c> (A2A 1.1 long-poll) waits for the task's generation to pass that
    /// value; then it returns the task as it is. Keep it below the idle timeout of proxies in front of the server.
    /// </summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether this process runs the agent. When false (an API-only replica, <c>herald serve --role api</c>), messages are
    /// accepted, streamed and answered here, but every run is recorded in the store for a process that runs agents to claim;
    /// the store must be shared with such processes (PostgreSQL), or tasks wait submitted for good.
    /// </summary>
    public bool RunAgents { get; set; } = true;

    /// <summary>
    /// Most agent runs in flight in this process at once; null for no limit. A message accepted while all are busy is
    /// recorded in the store with its run to do and listed as submitted until this or another process has a free slot and
    /// claims it, oldest first: a burst waits in the store instead of overloading the process that received it.
    /// </summary>
    public int? MaxConcurrentRuns { get; set; }

    /// <summary>
    /// How often expired tasks are deleted and expired runner leases recovered, and how often a process with free run slots
    /// looks for runs to do when no wake-up came.
    /// </summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Names this server process in runner leases (for diagnostics); unique per process by default.</summary>
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// Push notifications: the push-config operations (and configs sent inline with a message) are served and the card says
    /// <c>capabilities.pushNotifications: true</c>. Off: they answer -32003.
    /// </summary>
    public bool PushNotifications { get; set; }

    /// <summary>Most push-notification configurations one task may have (10).</summary>
    public int MaxPushConfigsPerTask { get; set; } = 10;

    /// <summary>How long a process holds a webhook's delivery lease unless it renews it (each acknowledged event renews it): 60 s.</summary>
    public TimeSpan PushDeliveryLease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often push delivery looks for webhooks with events to deliver when no append woke it (1 s).</summary>
    public TimeSpan PushPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most webhooks delivered to at once by one process (16); each is delivered to in order, one event at a time.</summary>
    public int MaxConcurrentPushDeliveries { get; set; } = 16;

    /// <summary>The first retry delay of a failed delivery (1 s), doubled per failure in a row up to <see cref="PushMaxRetryDelay"/>, jittered.</summary>
    public TimeSpan PushRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest retry delay (5 min); a webhook's <c>Retry-After</c> up to it is honoured.</summary>
    public TimeSpan PushMaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Failed deliveries in a row after which a configuration is marked failing and no longer delivered to (until saved again):
    /// 15, about an hour of retries with the default delays.
    /// </summary>
    public int PushMaxAttempts { get; set; } = 15;

    /// <summary>The claim that names a principal's tenant by default: <c>tenant</c>.</summary>
    public const string DefaultTenantClaimType = "tenant";

    /// <summary>
    /// The claim the default <see cref="ICallerResolver"/> reads a principal's tenant from (<see cref="DefaultTenantClaimType"/>);
    /// null for none, so that only the request's own tenant applies.
    /// </summary>
    public string? TenantClaimType { get; set; } = DefaultTenantClaimType;
}
