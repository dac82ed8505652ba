/** Collections of capability providers, each filled by the MCP module from its classes. */
export const MCP_TOOLS = Symbol('MCP_TOOLS');
export const MCP_RESOURCES = Symbol('MCP_RESOURCES');
export const MCP_PROMPTS = Symbol('MCP_PROMPTS');
