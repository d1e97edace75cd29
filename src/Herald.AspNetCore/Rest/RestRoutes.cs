using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;

namespace Herald.AspNetCore.Rest;

/// <summary>
/// The HTTP+JSON routes (spec 11.3, and the proto's <c>google.api.http</c> annotations), each also under a
/// <c>/{tenant}</c> prefix. They sit in MapHerald's group next to the JSON-RPC endpoint, so <c>MapHerald("/a2a")</c>
/// serves <c>POST /a2a/message:send</c>. A doubled slash before a route (<c>/a2a//message:send</c>: a card URL ending
/// in <c>/</c> joined with <c>/message:send</c>) reaches the same route (an endpoint that matches the empty segment).
/// </summary>
internal static class RestRoutes
{
    public static void Map(IEndpointRouteBuilder group, RestOperations rest)
    {
        // In order of specificity, for the doubled-slash endpoint, which matches them in turn ("/tasks/{id}:cancel"
        // before "/tasks/{id}"); routing itself orders them by precedence.
        List<Route> routes = [];
        foreach (var prefix in (string[])["", "/{tenant}"])
        {
            var tenant = prefix.Length > 0 ? " (tenant)" : "";
            void Add(string template, string[] methods, RequestDelegate handler, string name)
            {
                group.MapMethods(prefix + template, methods, handler).WithDisplayName("A2A REST " + name + tenant);
                routes.Add(new Route(new TemplateMatcher(TemplateParser.Parse(prefix + template), []), methods, handler));
            }

            Add("/message:send", [HttpMethods.Post], rest.SendMessageAsync, "SendMessage");
            Add("/message:stream", [HttpMethods.Post], rest.SendStreamingMessageAsync, "SendStreamingMessage");
            Add("/tasks/{id}:cancel", [HttpMethods.Post], rest.CancelTaskAsync, "CancelTask");
            Add("/tasks/{id}:subscribe", [HttpMethods.Post, HttpMethods.Get], rest.SubscribeToTaskAsync, "SubscribeToTask");
            Add("/tasks/{id}/pushNotificationConfigs/{configId}", [HttpMethods.Get, HttpMethods.Delete], rest.PushNotificationConfigAsync, "push notification config");
            Add("/tasks/{id}/pushNotificationConfigs", [HttpMethods.Post, HttpMethods.Get], rest.PushNotificationConfigAsync, "push notification configs");
            Add("/tasks/{id}", [HttpMethods.Get], rest.GetTaskAsync, "GetTask");
            Add("/tasks", [HttpMethods.Get], rest.ListTasksAsync, "ListTasks");
            Add("/extendedAgentCard", [HttpMethods.Get], rest.GetExtendedAgentCardAsync, "GetExtendedAgentCard");
        }

        var pattern = RoutePatternFactory.Parse("/{**path}", defaults: null, parameterPolicies: new RouteValueDictionary { ["path"] = new Misrouted(routes) });
        group.Map(pattern, context => DispatchAsync(context, routes)).WithDisplayName("A2A REST (after a doubled slash)");
    }

    /// <summary>The request's path past the group, with runs of slashes made one, served by the first route that matches it.</summary>
    private static Task DispatchAsync(HttpContext context, List<Route> routes)
    {
        var path = context.Request.RouteValues["path"] as string ?? "";
        while (path.Contains("//", StringComparison.Ordinal))
        {
            path = path.Replace("//", "/", StringComparison.Ordinal);
        }

        var values = new RouteValueDictionary();
        var (found, wrongMethod) = Find(routes, path.StartsWith('/') ? path : "/" + path, context.Request.Method, values);
        if (found is not null)
        {
            context.Request.RouteValues = values;
            return found.Handler(context);
        }

        context.Response.StatusCode = wrongMethod ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status404NotFound;
        if (wrongMethod)
        {
            // As routing's own 405 does: the methods the path takes.
            context.Response.Headers.Allow = string.Join(", ", routes.Where(r => r.Matcher.TryMatch(path.StartsWith('/') ? path : "/" + path, [])).SelectMany(r => r.Methods).Distinct());
        }

        return Task.CompletedTask;
    }

    /// <summary>The first route that takes <paramref name="path"/> and <paramref name="method"/>; else whether some route takes the path.</summary>
    private static (Route? Route, bool WrongMethod) Find(List<Route> routes, string path, string method, RouteValueDictionary values)
    {
        var wrongMethod = false;
        foreach (var route in routes)
        {
            values.Clear();
            if (route.Matcher.TryMatch(path, values))
            {
                if (route.Methods.Contains(method, StringComparer.OrdinalIgnoreCase))
                {
                    return (route, false);
                }

                wrongMethod = true;
            }
        }

        values.Clear();
        return (null, wrongMethod);
    }

    private sealed record Route(TemplateMatcher Matcher, string[] Methods, RequestDelegate Handler);

    /// <summary>
    /// Accepts the catch-all for a path after a doubled slash (the catch-all then starts with the empty segment's
    /// <c>/</c>), and for a route's path with a method it does not take: routing counts this endpoint as one for every
    /// method, so it answers 405 for them itself. Other paths are left to the rest of the application.
    /// </summary>
    private sealed class Misrouted(List<Route> routes) : IRouteConstraint
    {
        public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection)
        {
            if (!values.TryGetValue(routeKey, out var value) || value is not string path)
            {
                return false;
            }

            return path.StartsWith('/') || (httpContext is not null && Find(routes, "/" + path, httpContext.Request.Method, []) is { Route: null, WrongMethod: true });
        }
    }
}
