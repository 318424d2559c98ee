import { describe, expect, it } from "vitest";
import { basename, dirname, join, normalize } from "../../compiler/posix-path.js";

describe("posix paths", () => {
  it("normalizes", () => {
    expect(normalize("a/./b/../c/")).toBe("a/c");
    expect(normalize("")).toBe(".");
    expect(normalize("./")).toBe(".");
    expect(normalize("../a/../../b")).toBe("../../b");
    expect(normalize("/a/../../b")).toBe("/b");
    expect(normalize("//a//b")).toBe("/a/b");
  });

  it("joins, restarting at absolute segments", () => {
    expect(join("policy", "routes/chat.route")).toBe("policy/routes/chat.route");
    expect(join("policy/routes", "../shared.route")).toBe("policy/shared.route");
    expect(join(".", "a.route")).toBe("a.route");
    expect(join("a", "/etc/x.route")).toBe("/etc/x.route");
  });

  it("splits into dirname and basename", () => {
    expect(dirname("a/b/c.route")).toBe("a/b");
    expect(dirname("c.route")).toBe(".");
    expect(dirname("/c.route")).toBe("/");
    expect(basename("a/b/c.route")).toBe("c.route");
  });
});
