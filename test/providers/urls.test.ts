import { describe, expect, it } from "vitest";
import { messagesUrl } from "../../runtime/providers/anthropic.js";
import { endpointUrl } from "../../runtime/providers/http-attempt.js";
import { authHeader } from "../../runtime/providers/openai.js";

describe("upstream URLs", () => {
  it("appends the endpoint to the base path and keeps the query", () => {
    expect(endpointUrl("https://api.openai.com/v1", "/chat/completions").href).toBe("https://api.openai.com/v1/chat/completions");
    expect(endpointUrl("http://127.0.0.1:11434/v1/", "/chat/completions").href).toBe("http://127.0.0.1:11434/v1/chat/completions");
    expect(endpointUrl("https://r.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21", "/chat/completions").href).toBe(
      "https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21",
    );
  });

  it("finds the Anthropic messages endpoint with or without /v1 in the base", () => {
    expect(messagesUrl("https://api.anthropic.com").href).toBe("https://api.anthropic.com/v1/messages");
    expect(messagesUrl("https://api.anthropic.com/v1").href).toBe("https://api.anthropic.com/v1/messages");
    expect(messagesUrl("https://proxy.example.com/anthropic/").href).toBe("https://proxy.example.com/anthropic/v1/messages");
  });

  it("sends the key as a bearer token, or as api-key to Azure", () => {
    expect(authHeader(new URL("https://api.groq.com/openai/v1"), "k")).toEqual(["authorization", "Bearer k"]);
    expect(authHeader(new URL("https://r.openai.azure.com/openai/v1"), "k")).toEqual(["api-key", "k"]);
  });
});
