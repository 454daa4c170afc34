namespace Custos.Server.Configuration;

/// <summary>Invalid configuration: the message names the key and the problem. <c>custos serve</c> exits with 2.</summary>
public sealed class ConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
