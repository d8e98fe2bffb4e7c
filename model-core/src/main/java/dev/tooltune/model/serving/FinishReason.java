package dev.tooltune.model.serving;

/** Why a generation ended: a stop (token, string, or the constraint is done), tool calls, the token limit, a cancel. */
public enum FinishReason { STOP, LENGTH, TOOL_CALLS, CANCELLED }
