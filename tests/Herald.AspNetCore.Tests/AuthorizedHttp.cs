using System.Net.Http.Headers;
using System.Text;
using Herald.Testing;
using Herald.Testing.EndToEnd;

namespace Herald.AspNetCore.Tests;

/// <summary>Requests to a test server as a given user (<see cref="TestAuthenticationHandler.Header"/>; null for none).</summary>
internal static class AuthorizedHttp
{
    /// <summary>
    /// Sends <paramref name="body"/> (JSON) to <paramref name="path"/> under the server's address as <paramref name="user"/>,
    /// with <c>A2A-Version</c> and <c>Last-Event-ID</c> when given. Paths such as <c>/message:send</c> are taken as paths.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(
        HeraldTestServer server, string? user, HttpMethod method, string path, string? body, string? version, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(server.BaseAddress, "." + (path.StartsWith('/') ? path : "/" + path)));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (user is not null)
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(user);
        }

        if (version is not null)
        {
            request.Headers.TryAddWithoutValidation("A2A-Version", version);
        }

        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        return await server.Client.SendAsync(request).Within();
    }
}
