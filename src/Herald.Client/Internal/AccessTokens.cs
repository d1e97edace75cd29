using System.Net;
using System.Net.Http.Headers;

namespace Herald.Client.Internal;

/// <summary>
/// Sends an A2A request with <c>Authorization: Bearer</c> from <see cref="A2AClientOptions.AccessTokenProvider"/>, asked
/// for each request; a 401 asks again with <see cref="AccessTokenRequest.Refresh"/> and retries once. Without a
/// provider, the request goes as it is (a handler of the HttpClient may authenticate it).
/// </summary>
internal static class AccessTokens
{
    public static async Task<HttpResponseMessage> SendAsync(HttpClient httpClient, Func<HttpRequestMessage> createRequest, A2AClientOptions options, CancellationToken cancellationToken)
    {
        var provider = options.AccessTokenProvider;
        var request = createRequest();
        if (provider is null)
        {
            return await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }

        await AuthorizeAsync(request, provider, refresh: false, cancellationToken).ConfigureAwait(false);
        var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        // The token was refused (expired, revoked): one more try with a fresh one; a second 401 is the caller's answer.
        response.Dispose();
        request.Dispose();
        request = createRequest();
        await AuthorizeAsync(request, provider, refresh: true, cancellationToken).ConfigureAwait(false);
        return await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    private static async Task AuthorizeAsync(HttpRequestMessage request, Func<AccessTokenRequest, CancellationToken, ValueTask<string?>> provider, bool refresh, CancellationToken cancellationToken)
    {
        var token = await provider(new AccessTokenRequest { RequestUri = request.RequestUri!, Refresh = refresh }, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }
}
