/**
 * The one place in src/ that imports from plugins/: the plugins this
 * distribution ships (plugins/index.ts). The core reaches them only through
 * this list and the plugin interface; test/dependencies.test.ts fails when
 * any other file of src/ imports from plugins/.
 */
export { loadSearchReindex, shippedPlugins } from "../../plugins/index.js";
