using System.Text;

namespace Herald.Cli.Webhooks;

/// <summary>
/// The key set <c>herald webhook --jwks</c> verifies signatures with: a file, or an http(s) URL (usually the server's
/// <c>/.well-known/jwks.json</c>) fetched on first use and again when a signature names a key it does not hold.
/// </summary>
internal sealed class JwksSource(string location, HttpClient? httpClient = null) : IDisposable
{
    /// <summary>A key set is small; this bounds what a wrong URL can make the receiver read.</summary>
    private const int MaxJwksBytes = 256 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _keys;

    public static bool IsUrl(string text) => Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    /// <exception cref="HttpRequestException">The URL could not be fetched.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    public async Task<string> GetAsync(bool refresh, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_keys is null || refresh)
            {
                _keys = IsUrl(location) ? await FetchAsync(cancellationToken).ConfigureAwait(false) : await File.ReadAllTextAsync(location, cancellationToken).ConfigureAwait(false);
            }

            return _keys;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> FetchAsync(CancellationToken cancellationToken)
    {
        var client = httpClient ?? Shared;
        using var response = await client.GetAsync(location, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{location} answered HTTP {(int)response.StatusCode}");
        }

        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxJwksBytes + 1];
        var total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > MaxJwksBytes)
            {
                throw new HttpRequestException($"the key set at {location} is larger than {MaxJwksBytes} bytes");
            }
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    public void Dispose() => _gate.Dispose();

    private static readonly HttpClient Shared = new() { Timeout = TimeSpan.FromSeconds(10) };
}
