namespace Herald.Client;

/// <summary>Creates clients registered with <c>services.AddA2AClient(name, ...)</c>.</summary>
public interface IA2AClientFactory
{
    /// <summary>
    /// A client for the named registration, on an <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/>
    /// (with the handlers added to that registration). Cheap; the card is fetched on the client's first call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No client was registered under <paramref name="name"/>.</exception>
    IA2AClient CreateClient(string name);
}
