using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Herald.Protocol;
using Herald.Protocol.Signing;

namespace Herald.Server.Push;

/// <summary>
/// POSTs one event to one webhook (spec 4.3.3) and says what became of it; retry timing and cursors are the caller's.
/// One pooled <see cref="SocketsHttpHandler"/> for all webhooks: no proxy, no cookies, no redirects followed (a 3xx is a
/// refusal, so no redirect can lead a delivery to an address the guard forbids), connections opened only by the connect
/// callback, which asks <see cref="WebhookAddressPolicy"/> for the host's permitted addresses and connects to one of
/// those. Each delivery has a deadline (<see cref="HeraldOptions.WebhookTimeout"/>) covering connect, send and the
/// answer; at most <see cref="MaxResponseBytes"/> of the answer are read, the rest discarded with the connection.
/// Never throws for what a webhook does; only the caller's own cancellation escapes.
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    /// <summary>Most bytes of a webhook's answer read (for the reason of a failure); the rest is not read.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    /// <summary>Longest excerpt of a webhook's answer quoted in a failure's reason.</summary>
    private const int ReasonExcerptChars = 200;

    private static readonly MediaTypeHeaderValue A2AJson = new(PushNotificationHeaders.ContentType);
    private static readonly ProductInfoHeaderValue UserAgent = new("Herald", typeof(WebhookSender).Assembly.GetName().Version?.ToString(3) ?? "1.0");

    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;
    private readonly AgentCardSigningKey? _signingKey;
    private readonly string? _issuer;
    private readonly TimeProvider _timeProvider;

    public WebhookSender(WebhookAddressPolicy policy, HeraldOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(options);
        _timeout = options.WebhookTimeout;
        _signingKey = options.PushSigningKey ?? options.CardSigningKey;
        _issuer = options.PublicBaseUrl?.AbsoluteUri;
        _timeProvider = timeProvider ?? TimeProvider.System;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false, // a proxy would make the connect callback check the proxy's address, not the webhook's
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 8,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2), // new connections, so new checks, as DNS answers change
            ConnectTimeout = _timeout,
            MaxResponseHeadersLength = 16, // KiB
            MaxResponseDrainSize = 0, // an unread answer closes its connection instead of being drained
            ConnectCallback = (context, cancellationToken) => ConnectAsync(policy, context.DnsEndPoint, cancellationToken),
        };
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>POSTs <paramref name="delivery"/> and classifies the answer.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled (never for a webhook's slowness).</exception>
    public async Task<WebhookResult> SendAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (!Uri.TryCreate(delivery.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return new WebhookResult(WebhookOutcome.Blocked, null, null, "the webhook url is not an absolute http(s) URL");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        if (Prepare(request, delivery) is { } unsendable)
        {
            return new WebhookResult(WebhookOutcome.Refused, null, null, unsendable);
        }

        using var deadline = new CancellationTokenSource(_timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                await ReadCappedAsync(response, linked.Token).ConfigureAwait(false); // lets the connection be reused
                return new WebhookResult(WebhookOutcome.Delivered, status, null, $"HTTP {status}");
            }

            var excerpt = Redact(await ReadCappedAsync(response, linked.Token).ConfigureAwait(false), delivery);
            var answer = $"HTTP {status}{(excerpt.Length > 0 ? ": " + excerpt : "")}";
            return status switch
            {
                408 or 429 or >= 500 => new WebhookResult(WebhookOutcome.RetryLater, status, RetryAfter(response), answer),
                >= 300 and < 400 => new WebhookResult(WebhookOutcome.Refused, status, null, $"{answer} (a redirect; redirects are not followed)"),
                _ => new WebhookResult(WebhookOutcome.Refused, status, null, answer),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return new WebhookResult(WebhookOutcome.RetryLater, null, null, $"no answer within {_timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex) when (Blocked(ex) is { } blocked)
        {
            return new WebhookResult(WebhookOutcome.Blocked, null, null, blocked.Reason);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException)
        {
            var kind = ex is HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } http ? http.HttpRequestError + ": " : "";
            return new WebhookResult(WebhookOutcome.RetryLater, null, null, Redact(kind + ex.Message, delivery));
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Headers and body of the POST; null when ready, else why the config's values cannot be sent.</summary>
    private string? Prepare(HttpRequestMessage request, WebhookDelivery delivery)
    {
        var headers = request.Headers;
        if (delivery.Authentication is { } authentication)
        {
            if (!IsToken(authentication.Scheme) || authentication.Credentials is { } c && !IsHeaderText(c))
            {
                return "the config's authentication cannot be sent in an Authorization header (a scheme that is not an HTTP token, or control or non-ASCII characters)";
            }

            headers.Authorization = string.IsNullOrEmpty(authentication.Credentials)
                ? new AuthenticationHeaderValue(authentication.Scheme)
                : new AuthenticationHeaderValue(authentication.Scheme, authentication.Credentials);
        }

        if (!string.IsNullOrEmpty(delivery.Token))
        {
            if (!IsHeaderText(delivery.Token))
            {
                return "the config's token cannot be sent in an HTTP header (control or non-ASCII characters)";
            }

            headers.Add(PushNotificationHeaders.NotificationToken, delivery.Token);
            headers.Add(PushNotificationHeaders.NotificationTokenUnprefixed, delivery.Token);
        }

        headers.Add(PushNotificationHeaders.EventSequence, delivery.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        headers.Add(PushNotificationHeaders.TaskId, HeaderSafe(delivery.TaskId));
        if (delivery.ConfigId.Length > 0)
        {
            headers.Add(PushNotificationHeaders.ConfigId, HeaderSafe(delivery.ConfigId));
        }

        headers.Add("A2A-Version", "1.0"); // the body is a v1.0 StreamResponse
        headers.UserAgent.Add(UserAgent);
        if (_signingKey is not null)
        {
            var claims = new PushSignatureClaims
            {
                Issuer = _issuer,
                Audience = delivery.Url,
                TaskId = delivery.TaskId,
                Sequence = delivery.Sequence,
                ConfigId = delivery.ConfigId.Length > 0 ? delivery.ConfigId : null,
            };
            headers.Add(PushNotificationHeaders.Signature, PushNotificationSignature.Create(_signingKey, claims, delivery.Body.Span, _timeProvider.GetUtcNow()));
        }

        request.Content = new ReadOnlyMemoryContent(delivery.Body);
        request.Content.Headers.ContentType = A2AJson;
        return null;
    }

    /// <summary>Connects to a permitted address of the endpoint's host, trying them in order; never to an unchecked one.</summary>
    private static async ValueTask<Stream> ConnectAsync(WebhookAddressPolicy policy, DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        var addresses = await policy.PermittedAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static WebhookBlockedException? Blocked(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is WebhookBlockedException blocked)
            {
                return blocked;
            }
        }

        return null;
    }

    /// <summary>Reads at most <see cref="MaxResponseBytes"/> of the answer and returns the start of it as text, for reasons.</summary>
    private static async Task<string> ReadCappedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var total = 0;
            var kept = 0;
            while (total < MaxResponseBytes)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(kept, Math.Min(buffer.Length - kept, MaxResponseBytes - total)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
                kept = Math.Min(kept + read, ReasonExcerptChars); // only the start is quoted; later reads overwrite the rest
            }

            var text = Encoding.UTF8.GetString(buffer, 0, kept);
            var clean = new StringBuilder(text.Length);
            foreach (var ch in text)
            {
                clean.Append(char.IsControl(ch) ? ' ' : ch);
            }

            return clean.ToString().Trim();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date - _timeProvider.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Removes the config's secrets from text a webhook or the network stack produced, should it echo them.</summary>
    private static string Redact(string text, WebhookDelivery delivery)
    {
        if (!string.IsNullOrEmpty(delivery.Token))
        {
            text = text.Replace(delivery.Token, "***", StringComparison.Ordinal);
        }

        if (delivery.Authentication?.Credentials is { Length: > 0 } credentials)
        {
            text = text.Replace(credentials, "***", StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>Visible ASCII and spaces only: nothing that could end a header or be re-encoded on the way.</summary>
    private static bool IsHeaderText(string value)
    {
        foreach (var ch in value)
        {
            if (ch is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An RFC 9110 token (an authentication scheme).</summary>
    private static bool IsToken(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var ch in value)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || "!#$%&'*+-.^_`|~".Contains(ch, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Ids go out as they are when they are plain ASCII, percent-encoded otherwise.</summary>
    private static string HeaderSafe(string value) => IsHeaderText(value) ? value : Uri.EscapeDataString(value);
}
