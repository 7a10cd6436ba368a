// Resource and async-op attributes follow upstream's attribute.rs: add and sub saturate at zero,
// override replaces, a number without an op changes nothing, numbers and bigints mix.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Metadata } from "@periscope/tracing";
import { applyAttr, ResourceEntity } from "../src/entities.ts";

function resource(): ResourceEntity {
  return new ResourceEntity(1n, 1n, { name: "runtime.resource" } as Metadata, 0, {
    concreteType: "Semaphore",
    kind: "Sync",
    location: undefined,
    parent: undefined,
    isInternal: false,
    inheritChildAttrs: false,
  });
}

const value = (r: ResourceEntity, name: string) => r.attrs?.find((a) => a.name === name)?.value;

test("add, sub (saturating), override and op-less updates", () => {
  const r = resource();
  applyAttr(r, 1n, "permits", 3, "override", undefined, 9n);
  applyAttr(r, 1n, "permits", 2, "add", undefined, 9n);
  assert.equal(value(r, "permits"), 5);
  applyAttr(r, 1n, "permits", 7, "sub", undefined, 9n);
  assert.equal(value(r, "permits"), 0, "saturates at zero");
  applyAttr(r, 1n, "permits", 4, undefined, undefined, 9n);
  assert.equal(value(r, "permits"), 0, "a number without an op changes nothing");
  applyAttr(r, 1n, "permits", 4, "override", "permits", 9n);
  assert.equal(value(r, "permits"), 4);
  assert.equal(r.attrs?.[0]?.unit, "permits");
  applyAttr(r, 1n, "locked", true, undefined, undefined, 9n);
  applyAttr(r, 1n, "locked", false, undefined, undefined, 9n);
  assert.equal(value(r, "locked"), false, "a non-number replaces");
  assert.equal(r.attrs?.length, 2);
});

test("bigints and numbers beyond 2^53 are exact", () => {
  const r = resource();
  applyAttr(r, 1n, "sent", Number.MAX_SAFE_INTEGER, "override", undefined, 9n);
  applyAttr(r, 1n, "sent", 2, "add", undefined, 9n);
  assert.equal(value(r, "sent"), 9007199254740993n);
  applyAttr(r, 1n, "sent", 10n, "sub", undefined, 9n);
  assert.equal(value(r, "sent"), 9007199254740983n);
  applyAttr(r, 1n, "sent", 2n ** 60n, "sub", undefined, 9n);
  assert.equal(value(r, "sent"), 0n, "saturates at zero");
  applyAttr(r, 2n, "sent", -5, "add", undefined, 9n);
  assert.equal(r.attrs?.length, 2, "kept apart per updating span");
});
