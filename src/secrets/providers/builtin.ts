/**
 * The built-in provider catalog, as plain data. Sources: /work/shared/research/scan-rules.md §1.1
 * (gitleaks b58d3f1, trufflehog 3ab759f key formats, rewritten as plain JS regexes) and §3 (env
 * names the official SDKs and the AI SDK / LangChain wrappers read).
 *
 * Conventions the catalog loader and the tests rely on:
 * - capability ids are `<domain>.<provider id>.<action>`, so a capability names exactly one provider;
 * - `env` lists credentials only (no base URLs, regions or org ids), primary first;
 * - a key format without `env` is the provider's main credential and applies to every env name no
 *   other format claims (aliases such as STRIPE_API_KEY); a format with `env` applies to that name only;
 * - patterns are unanchored sources; users anchor them (`^(?:…)$` for a whole value, word
 *   boundaries in the scanner). Keywords are lowercase substrings present in every match.
 * - providers whose keys have no recognisable shape (Mistral, Cohere, Azure OpenAI, Together,
 *   Fireworks, Vercel AI Gateway) have no key formats: they are matched by env name only.
 */
import type {ProviderInput} from './schema.js'

/** Characters in a base64url token body. */
const B64URL = 'A-Za-z0-9_-'
/** OpenAI's project/service-account/admin key halves are 74 or 58 characters around the marker. */
const OPENAI_HALF = `(?:[${B64URL}]{74}|[${B64URL}]{58})`

export const BUILTIN_PROVIDERS: ProviderInput[] = [
  {
    id: 'openai',
    name: 'OpenAI',
    capabilities: ['ai.openai.inference', 'ai.openai.files', 'ai.openai.admin'],
    env: ['OPENAI_API_KEY', 'OPENAI_ADMIN_KEY'],
    keyFormats: [
      {
        id: 'openai-api-key',
        pattern: `sk-(?:proj|svcacct|service)-${OPENAI_HALF}T3BlbkFJ${OPENAI_HALF}`,
        keywords: ['t3blbkfj'],
        env: 'OPENAI_API_KEY',
        description: 'sk-proj-…T3BlbkFJ…',
      },
      {
        id: 'openai-legacy-api-key',
        pattern: 'sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}',
        keywords: ['t3blbkfj'],
        env: 'OPENAI_API_KEY',
        description: 'sk-…T3BlbkFJ… (51 characters)',
      },
      {
        id: 'openai-admin-key',
        pattern: `sk-admin-${OPENAI_HALF}T3BlbkFJ${OPENAI_HALF}`,
        keywords: ['t3blbkfj'],
        env: 'OPENAI_ADMIN_KEY',
        description: 'sk-admin-…',
      },
    ],
    detect: {
      npm: ['openai', '@ai-sdk/openai', '@langchain/openai'],
      pypi: ['openai', 'langchain-openai'],
      go: ['github.com/openai/openai-go', 'github.com/sashabaranov/go-openai'],
      cargo: ['async-openai'],
      gem: ['ruby-openai', 'openai'],
      composer: ['openai-php/client'],
      imports: ['openai', '@ai-sdk/openai', '@langchain/openai', 'langchain_openai', 'github.com/openai/openai-go', 'github.com/sashabaranov/go-openai'],
      constructors: ['OpenAI', 'AsyncOpenAI', 'ChatOpenAI', 'OpenAIEmbeddings', 'createOpenAI'],
      keywords: ['openai', 'chatgpt'],
    },
    baseUrls: ['https://api.openai.com/v1'],
    // openai (npm, PyPI) and @ai-sdk/openai read OPENAI_BASE_URL
    // langchain-openai (PyPI) reads OPENAI_API_BASE
    mediate: {baseUrlEnv: 'OPENAI_BASE_URL', baseUrlAliases: ['OPENAI_API_BASE'], upstream: 'https://api.openai.com/v1'},
  },
  {
    id: 'azure-openai',
    name: 'Azure OpenAI',
    capabilities: ['ai.azure-openai.inference'],
    // AZURE_API_KEY is what @ai-sdk/azure reads; Azure keys are bare hex/alphanumerics: no format.
    env: ['AZURE_OPENAI_API_KEY', 'AZURE_API_KEY'],
    keyFormats: [],
    detect: {
      npm: ['@azure/openai', '@ai-sdk/azure'],
      pypi: ['azure-ai-inference'],
      imports: ['@azure/openai', '@ai-sdk/azure', 'azure.ai.inference'],
      constructors: ['AzureOpenAI', 'AsyncAzureOpenAI', 'AzureChatOpenAI', 'AzureOpenAIEmbeddings', 'createAzure'],
      keywords: ['azure openai', 'openai.azure.com'],
    },
  },
  {
    id: 'anthropic',
    name: 'Anthropic',
    capabilities: ['ai.anthropic.inference', 'ai.anthropic.admin'],
    env: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_ADMIN_KEY'],
    keyFormats: [
      {
        id: 'anthropic-api-key',
        pattern: `sk-ant-api03-[${B64URL}]{93}AA`,
        keywords: ['sk-ant-api03'],
        env: 'ANTHROPIC_API_KEY',
        description: 'sk-ant-api03-…AA (108 characters)',
      },
      {
        id: 'anthropic-admin-api-key',
        pattern: `sk-ant-admin01-[${B64URL}]{93}AA`,
        keywords: ['sk-ant-admin01'],
        env: 'ANTHROPIC_ADMIN_KEY',
        description: 'sk-ant-admin01-…AA (110 characters)',
      },
    ],
    detect: {
      npm: ['@anthropic-ai/sdk', '@ai-sdk/anthropic', '@langchain/anthropic'],
      pypi: ['anthropic', 'langchain-anthropic'],
      go: ['github.com/anthropics/anthropic-sdk-go'],
      gem: ['anthropic'],
      imports: ['@anthropic-ai/sdk', '@ai-sdk/anthropic', '@langchain/anthropic', 'anthropic', 'langchain_anthropic', 'github.com/anthropics/anthropic-sdk-go'],
      constructors: ['Anthropic', 'AsyncAnthropic', 'ChatAnthropic', 'createAnthropic'],
      keywords: ['anthropic', 'claude'],
    },
    baseUrls: ['https://api.anthropic.com'],
    // @anthropic-ai/sdk, anthropic (PyPI) and @ai-sdk/anthropic read ANTHROPIC_BASE_URL (key in x-api-key, or Bearer for ANTHROPIC_AUTH_TOKEN)
    // @langchain/anthropic also reads ANTHROPIC_API_URL
    mediate: {baseUrlEnv: 'ANTHROPIC_BASE_URL', baseUrlAliases: ['ANTHROPIC_API_URL'], upstream: 'https://api.anthropic.com'},
  },
  {
    id: 'google-gemini',
    name: 'Google Gemini',
    capabilities: ['ai.google-gemini.inference'],
    // @google/genai prefers GOOGLE_API_KEY, google-generativeai GEMINI_API_KEY, @ai-sdk/google its own name.
    env: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY'],
    keyFormats: [
      {
        id: 'google-api-key',
        pattern: `AIza[${B64URL}]{35}`,
        keywords: ['aiza'],
        // Maps and Firebase keys look the same and are often public by design in browser code.
        shared: true,
        description: 'AIza… (39 characters)',
      },
    ],
    detect: {
      npm: ['@google/genai', '@google/generative-ai', '@ai-sdk/google', '@langchain/google-genai'],
      pypi: ['google-genai', 'google-generativeai', 'langchain-google-genai'],
      go: ['google.golang.org/genai', 'github.com/google/generative-ai-go'],
      imports: ['@google/genai', '@google/generative-ai', '@ai-sdk/google', '@langchain/google-genai', 'google.genai', 'google.generativeai', 'langchain_google_genai', 'google.golang.org/genai', 'github.com/google/generative-ai-go/genai'],
      constructors: ['GoogleGenAI', 'GoogleGenerativeAI', 'ChatGoogleGenerativeAI', 'createGoogleGenerativeAI'],
      keywords: ['gemini'],
    },
    baseUrls: ['https://generativelanguage.googleapis.com'],
    // google-genai (PyPI) reads GOOGLE_GEMINI_BASE_URL; older clients put the key in ?key=
    mediate: {baseUrlEnv: 'GOOGLE_GEMINI_BASE_URL', upstream: 'https://generativelanguage.googleapis.com', query: 'key'},
  },
  {
    id: 'vertex-ai',
    name: 'Google Vertex AI',
    capabilities: ['ai.vertex-ai.inference'],
    env: ['GOOGLE_APPLICATION_CREDENTIALS'],
    credentialFile: true,
    keyFormats: [],
    detect: {
      npm: ['@google-cloud/vertexai', '@ai-sdk/google-vertex', '@langchain/google-vertexai'],
      pypi: ['google-cloud-aiplatform', 'vertexai', 'langchain-google-vertexai'],
      go: ['cloud.google.com/go/vertexai'],
      imports: ['@google-cloud/vertexai', '@ai-sdk/google-vertex', '@langchain/google-vertexai', 'vertexai', 'google.cloud.aiplatform', 'langchain_google_vertexai', 'cloud.google.com/go/vertexai/genai'],
      constructors: ['VertexAI', 'ChatVertexAI', 'createVertex'],
      keywords: ['vertex ai', 'vertexai'],
    },
    baseUrls: ['https://aiplatform.googleapis.com'],
  },
  {
    id: 'mistral',
    name: 'Mistral AI',
    capabilities: ['ai.mistral.inference'],
    env: ['MISTRAL_API_KEY'],
    // Mistral keys are 32 bare alphanumerics with no prefix: matched by env name only.
    keyFormats: [],
    detect: {
      npm: ['@mistralai/mistralai', '@ai-sdk/mistral', '@langchain/mistralai'],
      pypi: ['mistralai', 'langchain-mistralai'],
      imports: ['@mistralai/mistralai', '@ai-sdk/mistral', '@langchain/mistralai', 'mistralai', 'langchain_mistralai'],
      constructors: ['Mistral', 'MistralClient', 'ChatMistralAI', 'createMistral'],
      keywords: ['mistral'],
    },
    baseUrls: ['https://api.mistral.ai/v1'],
  },
  {
    id: 'cohere',
    name: 'Cohere',
    capabilities: ['ai.cohere.inference'],
    // The SDKs read CO_API_KEY; @ai-sdk/cohere and @langchain/cohere read COHERE_API_KEY.
    env: ['CO_API_KEY', 'COHERE_API_KEY'],
    // 40 bare alphanumerics, no prefix: matched by env name only.
    keyFormats: [],
    detect: {
      npm: ['cohere-ai', '@ai-sdk/cohere', '@langchain/cohere'],
      pypi: ['cohere', 'langchain-cohere'],
      go: ['github.com/cohere-ai/cohere-go/v2'],
      imports: ['cohere-ai', '@ai-sdk/cohere', '@langchain/cohere', 'cohere', 'langchain_cohere', 'github.com/cohere-ai/cohere-go/v2'],
      constructors: ['CohereClient', 'CohereClientV2', 'ChatCohere', 'createCohere'],
      keywords: ['cohere'],
    },
    baseUrls: ['https://api.cohere.com'],
  },
  {
    id: 'groq',
    name: 'Groq',
    capabilities: ['ai.groq.inference'],
    env: ['GROQ_API_KEY'],
    keyFormats: [
      {id: 'groq-api-key', pattern: 'gsk_[A-Za-z0-9]{52}', keywords: ['gsk_'], description: 'gsk_… (56 characters)'},
    ],
    detect: {
      npm: ['groq-sdk', '@ai-sdk/groq', '@langchain/groq'],
      pypi: ['groq', 'langchain-groq'],
      imports: ['groq-sdk', '@ai-sdk/groq', '@langchain/groq', 'groq', 'langchain_groq'],
      constructors: ['Groq', 'AsyncGroq', 'ChatGroq', 'createGroq'],
      keywords: ['groq'],
    },
    baseUrls: ['https://api.groq.com/openai/v1'],
    // groq-sdk reads GROQ_BASE_URL and adds /openai/v1 itself
    mediate: {baseUrlEnv: 'GROQ_BASE_URL', upstream: 'https://api.groq.com'},
  },
  {
    id: 'huggingface',
    name: 'Hugging Face',
    capabilities: ['ai.huggingface.inference', 'deploy.huggingface.hub-push'],
    // huggingface_hub: HF_TOKEN then HUGGING_FACE_HUB_TOKEN; @ai-sdk/huggingface: HUGGINGFACE_API_KEY;
    // LangChain's community wrappers: HUGGINGFACEHUB_API_TOKEN.
    env: ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HUGGINGFACE_API_KEY', 'HUGGINGFACEHUB_API_TOKEN'],
    // Inference providers route other vendors' model ids on the Hugging Face token.
    aggregator: true,
    keyFormats: [
      {id: 'huggingface-access-token', pattern: 'hf_[A-Za-z0-9]{34}', keywords: ['hf_'], description: 'hf_… (37 characters)'},
      {id: 'huggingface-org-token', pattern: 'api_org_[A-Za-z0-9]{34}', keywords: ['api_org_'], description: 'api_org_… (42 characters)'},
    ],
    detect: {
      npm: ['@huggingface/inference', '@huggingface/hub', '@ai-sdk/huggingface'],
      pypi: ['huggingface_hub', 'huggingface-hub', 'langchain-huggingface'],
      imports: ['@huggingface/inference', '@huggingface/hub', '@ai-sdk/huggingface', 'huggingface_hub', 'langchain_huggingface'],
      constructors: ['InferenceClient', 'AsyncInferenceClient', 'HfInference', 'HuggingFaceEndpoint', 'createHuggingFace'],
      keywords: ['hugging face', 'huggingface'],
    },
    baseUrls: ['https://huggingface.co', 'https://router.huggingface.co/v1'],
  },
  {
    id: 'replicate',
    name: 'Replicate',
    capabilities: ['ai.replicate.inference'],
    env: ['REPLICATE_API_TOKEN'],
    keyFormats: [
      {id: 'replicate-api-token', pattern: 'r8_[A-Za-z0-9_-]{37}', keywords: ['r8_'], description: 'r8_… (40 characters)'},
    ],
    detect: {
      npm: ['replicate', '@ai-sdk/replicate'],
      pypi: ['replicate'],
      imports: ['replicate', '@ai-sdk/replicate'],
      constructors: ['Replicate', 'createReplicate'],
      keywords: ['replicate'],
    },
    baseUrls: ['https://api.replicate.com/v1'],
  },
  {
    id: 'xai',
    name: 'xAI',
    capabilities: ['ai.xai.inference'],
    env: ['XAI_API_KEY'],
    keyFormats: [
      {id: 'xai-api-key', pattern: 'xai-[A-Za-z0-9_]{80}', keywords: ['xai-'], description: 'xai-… (84 characters)'},
    ],
    detect: {
      npm: ['@ai-sdk/xai', '@langchain/xai'],
      pypi: ['xai-sdk', 'langchain-xai'],
      imports: ['@ai-sdk/xai', '@langchain/xai', 'xai_sdk', 'langchain_xai'],
      constructors: ['ChatXAI', 'createXai'],
      keywords: ['x.ai', 'grok'],
    },
    baseUrls: ['https://api.x.ai/v1'],
  },
  {
    id: 'deepseek',
    name: 'DeepSeek',
    capabilities: ['ai.deepseek.inference'],
    env: ['DEEPSEEK_API_KEY'],
    keyFormats: [
      {
        id: 'deepseek-api-key',
        pattern: 'sk-[a-f0-9]{32}',
        keywords: ['sk-'],
        // a generic `sk-` + 32 hex shape: trufflehog requires "deepseek" nearby, so do not trust the value alone
        shared: true,
        description: 'sk-… (35 characters)',
      },
    ],
    detect: {
      npm: ['@ai-sdk/deepseek', '@langchain/deepseek'],
      pypi: ['langchain-deepseek'],
      imports: ['@ai-sdk/deepseek', '@langchain/deepseek', 'langchain_deepseek'],
      constructors: ['ChatDeepSeek', 'createDeepSeek'],
      keywords: ['deepseek'],
    },
    baseUrls: ['https://api.deepseek.com'],
  },
  {
    id: 'perplexity',
    name: 'Perplexity',
    capabilities: ['ai.perplexity.inference'],
    env: ['PERPLEXITY_API_KEY', 'PPLX_API_KEY'],
    keyFormats: [
      {id: 'perplexity-api-key', pattern: 'pplx-[A-Za-z0-9]{48}', keywords: ['pplx-'], description: 'pplx-… (53 characters)'},
    ],
    detect: {
      npm: ['@ai-sdk/perplexity', '@perplexity-ai/perplexity_ai'],
      pypi: ['perplexityai', 'langchain-perplexity'],
      imports: ['@ai-sdk/perplexity', '@perplexity-ai/perplexity_ai', 'perplexity', 'langchain_perplexity'],
      constructors: ['Perplexity', 'ChatPerplexity', 'createPerplexity'],
      keywords: ['perplexity'],
    },
    baseUrls: ['https://api.perplexity.ai'],
  },
  {
    id: 'openrouter',
    name: 'OpenRouter',
    capabilities: ['ai.openrouter.inference'],
    env: ['OPENROUTER_API_KEY'],
    aggregator: true,
    keyFormats: [
      {id: 'openrouter-api-key', pattern: 'sk-or-v1-[a-f0-9]{64}', keywords: ['sk-or-v1-'], description: 'sk-or-v1-… (73 characters)'},
    ],
    detect: {
      npm: ['@openrouter/ai-sdk-provider', '@openrouter/sdk'],
      imports: ['@openrouter/ai-sdk-provider', '@openrouter/sdk'],
      constructors: ['OpenRouter', 'createOpenRouter'],
      keywords: ['openrouter'],
    },
    baseUrls: ['https://openrouter.ai/api/v1'],
  },
  {
    id: 'together',
    name: 'Together AI',
    capabilities: ['ai.together.inference'],
    env: ['TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY'],
    keyFormats: [],
    detect: {
      npm: ['together-ai', '@ai-sdk/togetherai'],
      pypi: ['together', 'langchain-together'],
      imports: ['together-ai', '@ai-sdk/togetherai', 'together', 'langchain_together'],
      constructors: ['Together', 'AsyncTogether', 'ChatTogether', 'createTogetherAI'],
      keywords: ['together.ai', 'togetherai'],
    },
    baseUrls: ['https://api.together.xyz/v1'],
  },
  {
    id: 'fireworks',
    name: 'Fireworks AI',
    capabilities: ['ai.fireworks.inference'],
    env: ['FIREWORKS_API_KEY'],
    keyFormats: [],
    detect: {
      npm: ['@ai-sdk/fireworks'],
      pypi: ['fireworks-ai', 'langchain-fireworks'],
      imports: ['@ai-sdk/fireworks', 'fireworks', 'fireworks.client', 'langchain_fireworks'],
      constructors: ['Fireworks', 'ChatFireworks', 'createFireworks'],
      keywords: ['fireworks.ai', 'fireworks ai'],
    },
    baseUrls: ['https://api.fireworks.ai/inference/v1'],
  },
  {
    id: 'vercel-ai-gateway',
    name: 'Vercel AI Gateway',
    capabilities: ['ai.vercel-ai-gateway.inference'],
    env: ['AI_GATEWAY_API_KEY'],
    // Plain "provider/model" strings in the AI SDK go through the gateway on this one credential.
    aggregator: true,
    keyFormats: [],
    detect: {
      npm: ['@ai-sdk/gateway'],
      imports: ['@ai-sdk/gateway'],
      constructors: ['createGateway'],
      keywords: ['ai gateway', 'ai-gateway'],
    },
    baseUrls: ['https://ai-gateway.vercel.sh/v1'],
  },
  {
    id: 'aws',
    name: 'Amazon Web Services',
    capabilities: ['ai.aws.bedrock', 'cloud.aws.api'],
    // @langchain/aws reads the BEDROCK_-prefixed names instead of the standard ones.
    env: [
      'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_BEARER_TOKEN_BEDROCK',
      'BEDROCK_AWS_ACCESS_KEY_ID', 'BEDROCK_AWS_SECRET_ACCESS_KEY', 'BEDROCK_AWS_SESSION_TOKEN',
    ],
    keyFormats: [
      {
        id: 'aws-access-key-id',
        pattern: '(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}',
        keywords: ['a3t', 'akia', 'asia', 'abia', 'acca'],
        env: 'AWS_ACCESS_KEY_ID',
        description: 'AKIA or ASIA, then 16 of A-Z and 2-7 (20 characters)',
      },
      {
        id: 'aws-bedrock-api-key',
        pattern: 'ABSK[A-Za-z0-9+/]{109,269}={0,2}',
        keywords: ['absk'],
        env: 'AWS_BEARER_TOKEN_BEDROCK',
        description: 'ABSK…',
      },
      // The 40-character secret access key has no marker; it is matched by env name only.
    ],
    detect: {
      npm: ['@aws-sdk/client-bedrock-runtime', '@aws-sdk/credential-providers', '@aws-sdk/client-s3', 'aws-sdk', '@ai-sdk/amazon-bedrock', '@langchain/aws', '@anthropic-ai/bedrock-sdk'],
      pypi: ['boto3', 'botocore', 'langchain-aws'],
      go: ['github.com/aws/aws-sdk-go-v2', 'github.com/aws/aws-sdk-go'],
      cargo: ['aws-config', 'aws-sdk-bedrockruntime', 'aws-sdk-s3'],
      gem: ['aws-sdk-core', 'aws-sdk-bedrockruntime', 'aws-sdk-s3'],
      composer: ['aws/aws-sdk-php'],
      imports: ['@aws-sdk/client-bedrock-runtime', '@aws-sdk/credential-providers', '@aws-sdk/client-s3', 'aws-sdk', '@ai-sdk/amazon-bedrock', '@langchain/aws', '@anthropic-ai/bedrock-sdk', 'boto3', 'langchain_aws', 'github.com/aws/aws-sdk-go-v2/config'],
      constructors: ['BedrockRuntimeClient', 'AnthropicBedrock', 'ChatBedrockConverse', 'ChatBedrock', 'createAmazonBedrock', 'S3Client'],
      keywords: ['aws', 'bedrock'],
    },
  },
  {
    id: 'stripe',
    name: 'Stripe',
    capabilities: ['payments.stripe.api', 'payments.stripe.webhook-verify', 'payments.stripe.client'],
    // stripe-node reads no env var; these are the stripe-samples and stripe-node examples' names.
    env: ['STRIPE_SECRET_KEY', 'STRIPE_API_KEY', 'STRIPE_WEBHOOK_SECRET'],
    publicEnv: ['STRIPE_PUBLISHABLE_KEY', 'NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY', 'VITE_STRIPE_PUBLISHABLE_KEY'],
    keyFormats: [
      {
        // no env: the main credential, whatever name the app reads it under
        id: 'stripe-secret-key',
        pattern: '(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,247}',
        keywords: ['_test_', '_live_', '_prod_'],
        description: 'sk_live_… or rk_live_… (or _test_)',
      },
      {
        id: 'stripe-webhook-secret',
        pattern: 'whsec_[A-Za-z0-9]{32,64}',
        keywords: ['whsec_'],
        env: 'STRIPE_WEBHOOK_SECRET',
        description: 'whsec_…',
      },
      {
        id: 'stripe-publishable-key',
        pattern: 'pk_(?:test|live)_[A-Za-z0-9]{10,247}',
        keywords: ['pk_test_', 'pk_live_'],
        public: true,
        env: 'STRIPE_PUBLISHABLE_KEY',
        description: 'pk_live_… (publishable, public by design)',
      },
    ],
    detect: {
      npm: ['stripe'],
      pypi: ['stripe'],
      // Go paths match whatever their /vN major-version suffix (stripe-go changes it often).
      go: ['github.com/stripe/stripe-go'],
      cargo: ['async-stripe'],
      gem: ['stripe'],
      composer: ['stripe/stripe-php'],
      imports: ['stripe', 'github.com/stripe/stripe-go'],
      constructors: ['Stripe', 'StripeClient'],
      keywords: ['stripe'],
    },
    baseUrls: ['https://api.stripe.com/v1'],
  },
  {
    id: 'supabase',
    name: 'Supabase',
    capabilities: ['db.supabase.service-role', 'db.supabase.anon', 'db.supabase.management'],
    // The clients read no env var; these are the common app conventions (LangChain's template uses
    // SUPABASE_PRIVATE_KEY). The anon/publishable key is public by design (row-level security).
    env: ['SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_SECRET_KEY', 'SUPABASE_PRIVATE_KEY', 'SUPABASE_ACCESS_TOKEN'],
    publicEnv: [
      'SUPABASE_ANON_KEY', 'NEXT_PUBLIC_SUPABASE_ANON_KEY', 'VITE_SUPABASE_ANON_KEY', 'EXPO_PUBLIC_SUPABASE_ANON_KEY',
      'SUPABASE_PUBLISHABLE_KEY', 'NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY', 'NEXT_PUBLIC_SUPABASE_PUBLISHABLE_DEFAULT_KEY',
    ],
    keyFormats: [
      {
        id: 'supabase-secret-key',
        pattern: 'sb_secret_[A-Za-z0-9_-]{20,128}',
        keywords: ['sb_secret_'],
        description: 'sb_secret_… or a service_role JWT (eyJ…)',
      },
      {
        // Legacy service_role (and anon) keys are JWTs; the role claim tells them apart, the shape cannot.
        id: 'supabase-jwt',
        pattern: `eyJ[${B64URL}]{10,}\\.eyJ[${B64URL}]{10,}\\.[${B64URL}]{10,}`,
        keywords: ['eyj'],
        shared: true,
        description: 'a service_role JWT (eyJ…) or sb_secret_…',
      },
      {
        id: 'supabase-access-token',
        pattern: 'sbp_[a-f0-9]{40}',
        keywords: ['sbp_'],
        env: 'SUPABASE_ACCESS_TOKEN',
        description: 'sbp_… (44 characters)',
      },
      {
        id: 'supabase-publishable-key',
        pattern: 'sb_publishable_[A-Za-z0-9_-]{20,128}',
        keywords: ['sb_publishable_'],
        public: true,
        env: 'SUPABASE_PUBLISHABLE_KEY',
        description: 'sb_publishable_… (public by design)',
      },
    ],
    detect: {
      npm: ['@supabase/supabase-js', '@supabase/ssr'],
      pypi: ['supabase'],
      go: ['github.com/supabase-community/supabase-go'],
      imports: ['@supabase/supabase-js', '@supabase/ssr', 'supabase', 'github.com/supabase-community/supabase-go'],
      constructors: [],
      keywords: ['supabase'],
    },
    baseUrls: ['https://api.supabase.com'],
  },
  {
    id: 'postgres',
    name: 'PostgreSQL',
    capabilities: ['db.postgres.connect'],
    // App conventions (Vercel/Neon/Prisma); DATABASE_URL may also hold another database's URL,
    // which the format check then rejects.
    env: ['DATABASE_URL', 'POSTGRES_URL', 'POSTGRES_PRISMA_URL', 'POSTGRES_URL_NON_POOLING'],
    keyFormats: [
      {
        id: 'postgres-connection-url',
        pattern: 'postgres(?:ql)?://[^\\s\'"`]+',
        keywords: ['postgres'],
        description: 'postgres://user:password@host:5432/db',
      },
    ],
    detect: {
      npm: ['pg', 'postgres', '@neondatabase/serverless', '@vercel/postgres'],
      pypi: ['psycopg', 'psycopg2', 'psycopg2-binary', 'asyncpg'],
      go: ['github.com/jackc/pgx/v5', 'github.com/lib/pq'],
      cargo: ['tokio-postgres', 'postgres'],
      gem: ['pg'],
      imports: ['pg', 'postgres', '@neondatabase/serverless', '@vercel/postgres', 'psycopg', 'psycopg2', 'asyncpg', 'github.com/jackc/pgx/v5', 'github.com/lib/pq'],
      constructors: [],
      keywords: ['postgres', 'postgresql'],
    },
  },
  {
    id: 'tavily',
    name: 'Tavily',
    capabilities: ['search.tavily.query'],
    env: ['TAVILY_API_KEY'],
    keyFormats: [
      {id: 'tavily-api-key', pattern: 'tvly-(?:dev-|prod-)?[A-Za-z0-9]{20,64}', keywords: ['tvly-'], description: 'tvly-…'},
    ],
    detect: {
      npm: ['@tavily/core', '@langchain/tavily'],
      pypi: ['tavily-python', 'langchain-tavily'],
      imports: ['@tavily/core', '@langchain/tavily', 'tavily', 'langchain_tavily'],
      constructors: ['TavilyClient', 'AsyncTavilyClient', 'TavilySearch', 'TavilySearchResults'],
      keywords: ['tavily'],
    },
    baseUrls: ['https://api.tavily.com'],
  },
  {
    id: 'pinecone',
    name: 'Pinecone',
    capabilities: ['db.pinecone.index'],
    env: ['PINECONE_API_KEY'],
    keyFormats: [
      // Legacy keys are bare UUIDs (no marker): those need `secret set --force`.
      {id: 'pinecone-api-key', pattern: 'pcsk_[A-Za-z0-9]{5,6}_[A-Za-z0-9]{63}', keywords: ['pcsk_'], description: 'pcsk_…'},
    ],
    detect: {
      npm: ['@pinecone-database/pinecone', '@langchain/pinecone'],
      pypi: ['pinecone', 'pinecone-client', 'langchain-pinecone'],
      go: ['github.com/pinecone-io/go-pinecone/v3/pinecone', 'github.com/pinecone-io/go-pinecone/pinecone'],
      imports: ['@pinecone-database/pinecone', '@langchain/pinecone', 'pinecone', 'langchain_pinecone'],
      constructors: ['Pinecone', 'PineconeStore'],
      keywords: ['pinecone'],
    },
    baseUrls: ['https://api.pinecone.io'],
  },
  {
    id: 'langsmith',
    name: 'LangSmith',
    capabilities: ['observability.langsmith.trace'],
    env: ['LANGSMITH_API_KEY', 'LANGCHAIN_API_KEY'],
    keyFormats: [
      {
        id: 'langsmith-api-key',
        pattern: 'lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}',
        keywords: ['lsv2_'],
        description: 'lsv2_pt_… or lsv2_sk_… (51 characters)',
      },
    ],
    detect: {
      npm: ['langsmith'],
      pypi: ['langsmith'],
      imports: ['langsmith'],
      constructors: [],
      keywords: ['langsmith'],
    },
    baseUrls: ['https://api.smith.langchain.com'],
  },
]
